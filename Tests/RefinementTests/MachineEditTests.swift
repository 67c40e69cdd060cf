import CostModel
import MachineModel
import Testing
import Refinement

/// Machine edits: what-if's `--set` and the fitted fields of a refinement.
@Suite struct MachineEditTests {
    @Test func editsParseShortFormsAndMultiples() throws {
        let e = try MachineEdit(parsing: "l2.bandwidth=x2")
        #expect(e.path == "memory.l2.bandwidth")
        #expect(e.value == .times(2))
        #expect(try MachineEdit(parsing: "units=160").path == "compute.unit_count")
        #expect(try MachineEdit(parsing: "peak.matrix.fp16=x1.5").path == "compute.peak.matrix.fp16")
        #expect(try MachineEdit(parsing: "shared_memory_per_unit=256 KiB").path == "occupancy.shared_memory_per_unit")
        #expect(throws: RefinementError.self) { try MachineEdit(parsing: "l2.bandwidth") }
        #expect(throws: RefinementError.self) { try MachineEdit(parsing: "l2.bandwidth=x0") }
    }

    @Test func editsChangeTheMachineAndSayWhatWasThere() throws {
        var h100 = try machine("h100-sxm")
        let (before, after) = try MachineEdit(parsing: "hbm.bandwidth=4.8 TB/s").apply(to: &h100)
        #expect(before == "3.35 TB/s")
        #expect(after == "4.8 TB/s")
        #expect(h100.level("hbm")?.bandwidth?.value.base == 4.8e12)
        if case .derived = h100.level("hbm")?.bandwidth?.provenance {} else { Issue.record("a what-if value is derived") }
        let units = try MachineEdit(parsing: "units=264").apply(to: &h100)
        #expect(units.after.hasPrefix("264"))
        #expect(h100.compute.peak(.matrix, .fp16)?.value.base == 2 * 989.4e12)
        #expect(throws: RefinementError.self) { try MachineEdit(parsing: "hbm.speed=x2").apply(to: &h100) }
        #expect(throws: RefinementError.self) { try MachineEdit(parsing: "l9.bandwidth=x2").apply(to: &h100) }
    }

    @Test func anL2TheMachineLeavesOutIsMultipliedAsTheModelAssumesIt() throws {
        let h100 = try machine("h100-sxm")
        #expect(h100.level("l2")?.bandwidth == nil)
        var edited = h100
        try MachineEdit(parsing: "l2.bandwidth=x2").apply(to: &edited)
        let assumed = CostModel(machine: h100).figures.l2BandwidthStated
        // Written before the achievable share, so that the model ends at twice its assumption.
        let stated = try #require(edited.level("l2")?.bandwidth?.value.base)
        #expect(abs(stated * Parameters.default.l2Fraction - 2 * assumed) < 1)
    }
}
