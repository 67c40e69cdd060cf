import MachineModel
import Testing
@testable import Calibration

@Suite struct MachineFieldsTests {
    @Test(arguments: [
        ("compute.peak.matrix.bf16", FieldValue.Kind.rate), ("compute.peak.vector.fp32", .rate), ("memory.l2.size", .size),
        ("memory.dram.bandwidth", .bandwidth), ("memory.l1.latency", .time), ("launch_overhead", .time),
        ("compute.boost_clock", .frequency), ("memory.l1.line_size", .size),
    ])
    func knowsTheQuantityOfAPath(path: String, kind: FieldValue.Kind) throws {
        #expect(try MachineFields.kind(of: path, in: SyntheticCPU.machine()) == kind)
    }

    @Test(arguments: [
        ("memory.l9.size", "no memory level named \"l9\" in synthetic-cpu (levels: l1, l2, l3, dram)"),
        ("memory.l1.colour", "a memory level has size, bandwidth, latency and line_size, not \"colour\""),
        ("compute.peak.vector.fp7", "unknown precision \"fp7\"; expected one of fp64, fp32, tf32, fp16, bf16, fp8, fp4, int8, int32"),
        ("compute.peak.tensor.fp16", "peak rates are under compute.peak.vector or compute.peak.matrix, not \"tensor\""),
    ])
    func rejectsPathsThatAreNotFields(path: String, message: String) throws {
        let machine = try SyntheticCPU.machine()
        do {
            _ = try MachineFields.kind(of: path, in: machine)
            Issue.record("\(path) was accepted")
        } catch {
            #expect(error.code == .unknownField)
            #expect(error.message == message)
        }
    }

    @Test func appliesFitsAsMeasuredAndDropsThemFromUnknown() throws {
        var machine = try SyntheticCPU.machine()
        machine.unknown = ["memory.dram.latency", "compute.peak"]
        let fits = [
            FieldFit(path: "memory.dram.latency", value: .time(Seconds(base: 90e-9)), benchmark: "pointer-chase", basis: "test"),
            FieldFit(path: "compute.peak.vector.fp64", value: .rate(OpsPerSecond(base: 1e11)), benchmark: "peak-arithmetic", basis: "test"),
            FieldFit(path: "memory.l2.size", value: .size(Bytes(704 << 10)), benchmark: "pointer-chase", basis: "test"),
        ]
        let calibrated = try Fit.apply(fits, to: machine, runID: "cal-synthetic-cpu-20260101-000000")
        #expect(calibrated.name == "synthetic-cpu-measured")
        #expect(abs((calibrated.level("dram")?.latency?.value.base ?? 0) - 90e-9) < 1e-15)
        #expect(calibrated.level("dram")?.latency?.provenance == .measured(run: "cal-synthetic-cpu-20260101-000000"))
        #expect(calibrated.compute.peak(.vector, .fp64)?.provenance.isMeasured == true)
        #expect(calibrated.compute.peak(.vector, .fp32)?.provenance == .spec(source: "sheet"))
        #expect(calibrated.level("l2")?.size?.value == Bytes(704 << 10))
        #expect(calibrated.unknown.isEmpty)
    }

    @Test func aFitThatBreaksTheHierarchyIsAFitError() throws {
        let machine = try SyntheticCPU.machine()
        let fits = [FieldFit(path: "memory.l1.size", value: .size(Bytes(64 << 20)), benchmark: "pointer-chase", basis: "test")]
        do {
            _ = try Fit.apply(fits, to: machine, runID: "cal-x")
            Issue.record("an L1 larger than the L2 was accepted")
        } catch {
            #expect(error.code == .fit)
            #expect(error.message.contains("memory.l1.size"))
        }
    }

    @Test func aFitOfTheWrongKindIsAUnitMismatch() throws {
        var machine = try SyntheticCPU.machine()
        let fit = FieldFit(path: "memory.l1.size", value: .bandwidth(BytesPerSecond(base: 1e9)), benchmark: "x", basis: "test")
        #expect(throws: CalibrationError.self) { try MachineFields.apply(fit, to: &machine, provenance: .measured(run: "r")) }
    }
}
