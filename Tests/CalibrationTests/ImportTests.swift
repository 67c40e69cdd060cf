import Foundation
import MachineModel
import Store
import Testing
@testable import Calibration

@Suite struct ImportTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func file(_ measurements: String, version: Int = 1) -> String {
        """
        {"version": \(version), "kind": "kernelcast-calibration-import", "machine": "synthetic-cpu",
         "device": "Synthetic CPU", "driver": "test driver", "tool": "calibration/harness/tensor_rates.py",
         "created": "2026-11-13T10:05:00+00:00",
         "measurements": [\(measurements)],
         "skipped": [{"field": "compute.peak.matrix.fp8", "reason": "no fp8 on this part"}]}
        """
    }

    static let good = file("""
        {"field": "compute.peak.matrix.bf16", "value": 7.9e14, "unit": "FLOP/s", "samples": [7.88e14, 7.91e14], "method": "matmul"},
        {"field": "memory.dram.bandwidth", "value": 40, "unit": "GB/s", "samples": [40, 40.5], "method": "copy"}
        """)

    @Test func importsFiguresAsAMeasuredRun() throws {
        let path = try write(Self.good)
        let file = try CalibrationImport.load(path: path)
        #expect(file.machine == "synthetic-cpu")
        #expect(file.skipped.map(\.field) == ["compute.peak.matrix.fp8"])
        let store = try Store.inMemory()
        let report = try CalibrationImporter(store: store).run(file, spec: SyntheticCPU.machine())
        #expect(report.run.status == .ok)
        #expect(report.run.source == .import)
        let calibrated = try #require(report.calibrated)
        #expect(calibrated.compute.peak(.matrix, .bf16) == Sourced(OpsPerSecond(base: 7.9e14), .measured(run: report.run.id)))
        #expect(calibrated.level("dram")?.bandwidth?.value == BytesPerSecond(base: 40e9))
        #expect(try store.calibratedFields(runID: report.run.id).map(\.field) == ["compute.peak.matrix.bf16", "memory.dram.bandwidth"])
        #expect(try store.benchmarkResults(runID: report.run.id).first?.sampleUnit == "FLOP/s")
    }

    @Test func aSustainedMatrixRateIsImportedAndWritten() throws {
        let path = try write(Self.file(#"{"field": "compute.sustained_matrix_rate", "value": 6.571e14, "unit": "FLOP/s"}"#))
        let report = try CalibrationImporter(store: try Store.inMemory()).run(try CalibrationImport.load(path: path), spec: SyntheticCPU.machine())
        let calibrated = try #require(report.calibrated)
        #expect(calibrated.compute.sustainedMatrixRate == Sourced(OpsPerSecond(base: 6.571e14), .measured(run: report.run.id)))
        #expect(calibrated.tree.fields.contains { $0.path == "compute.sustained_matrix_rate" })
    }

    @Test func anUnknownFieldIsOneLineNamingFileAndField() throws {
        let path = try write(Self.file(#"{"field": "memory.l9.bandwidth", "value": 1e12, "unit": "B/s"}"#))
        do {
            _ = try CalibrationImport.load(path: path).fits(for: SyntheticCPU.machine())
            Issue.record("an unknown field was imported")
        } catch let error as CalibrationError {
            #expect(error.code == .unknownField)
            #expect(error.message == "\(path): measurements[0] (memory.l9.bandwidth): no memory level named \"l9\" in synthetic-cpu (levels: l1, l2, l3, dram)")
        }
    }

    @Test func aUnitThatDoesNotFitTheFieldIsOneLine() throws {
        let path = try write(Self.file(#"{"field": "compute.peak.matrix.bf16", "value": 7.9e14, "unit": "B/s"}"#))
        do {
            _ = try CalibrationImport.load(path: path).fits(for: SyntheticCPU.machine())
            Issue.record("a bandwidth unit was accepted for a peak rate")
        } catch let error as CalibrationError {
            #expect(error.code == .unitMismatch)
            #expect(error.message == "\(path): measurements[0] (compute.peak.matrix.bf16): unit \"B/s\" does not fit the field, which holds an arithmetic rate such as \"989 TFLOP/s\"")
        }
    }

    @Test func aHugeUnitIsCutInItsError() throws {
        let unit = String(repeating: "x", count: 100_000)
        let path = try write(Self.file(#"{"field": "memory.dram.bandwidth", "value": 1e12, "unit": "\#(unit)"}"#))
        do {
            _ = try CalibrationImport.load(path: path).fits(for: SyntheticCPU.machine())
            Issue.record("an unknown unit fitted")
        } catch {
            #expect("\(error)".contains("(100000 characters)\" does not fit the field") && "\(error)".count < path.count + 300)
        }
    }

    @Test func aValueQuotedInAnErrorIsCut() throws {
        let list = "[" + (1...1000).map(String.init).joined(separator: ", ") + "]"
        let path = try write(Self.file(#"{"field": "memory.dram.bandwidth", "value": 1e12, "unit": "B/s", "samples": [\#(list)]}"#))
        do {
            _ = try CalibrationImport.load(path: path)
            Issue.record("a list of lists loaded as samples")
        } catch {
            #expect(error.message.hasPrefix("\(path): measurements[0] (memory.dram.bandwidth): samples: expected numbers, got [1, 2, 3"))
            #expect(error.message.hasSuffix(" characters)") && error.message.count < path.count + 300)
        }
    }

    @Test(arguments: [
        (ImportTests.file(#"{"field": "memory.dram.bandwidth", "value": 1e12, "unit": "B/s"}"#, version: 2), "version: 2 is not supported; this kernelcast reads version 1 to 1"),
        (#"{"version": 1, "kind": "something-else"}"#, "kind: expected \"kernelcast-calibration-import\", got something-else"),
        (ImportTests.file(#"{"field": "memory.dram.bandwidth", "value": -3, "unit": "B/s"}"#), "measurements[0] (memory.dram.bandwidth): value: expected a positive number, got -3"),
        (ImportTests.file(#"{"field": "compute.peak.vector.fp\#(String(repeating: "(", count: 1000))", "value": 1e12, "unit": "FLOP/s"}"#),
         "measurements[0]: field: expected a dotted machine-file path, got 1022 characters"),
        ("not json", "not valid JSON"),
    ])
    func malformedFilesAreOneLineErrors(text: String, message: String) throws {
        let path = try write(text)
        do {
            _ = try CalibrationImport.load(path: path)
            Issue.record("a malformed file loaded")
        } catch {
            #expect(error.code == .importFormat)
            #expect(error.message.hasPrefix("\(path): \(message)"))
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func aFigureAboveTheSpecFailsTheRunAndKeepsEarlierRuns() throws {
        let store = try Store.inMemory()
        let machine = try SyntheticCPU.machine()
        let earlier = try CalibrationImporter(store: store).run(CalibrationImport.load(path: write(Self.good)), spec: machine)
        let path = try write(Self.file(#"{"field": "memory.dram.bandwidth", "value": 80e9, "unit": "B/s"}"#))
        let report = try CalibrationImporter(store: store).run(CalibrationImport.load(path: path), spec: machine)
        #expect(report.run.status == .failed)
        #expect(report.calibrated == nil)
        #expect(report.run.failureReason?.contains("memory.dram.bandwidth: 80 GB/s is above the spec 50 GB/s") == true)
        #expect(try store.calibrationRun(id: earlier.run.id)?.status == .ok)
        #expect(try store.calibratedFields(runID: earlier.run.id).count == 2)
    }

    @Test func appliesOntoACalibratedBase() throws {
        let store = try Store.inMemory()
        let spec = try SyntheticCPU.machine()
        let base = try Fit.apply([FieldFit(path: "launch_overhead", value: .time(Seconds(base: 5e-6)), benchmark: "launch-overhead", basis: "test")],
                                 to: spec, runID: "cal-earlier")
        let report = try CalibrationImporter(store: store).run(CalibrationImport.load(path: write(Self.good)), spec: spec, base: base)
        let calibrated = try #require(report.calibrated)
        #expect(calibrated.launchOverhead?.provenance == .measured(run: "cal-earlier"))
        #expect(calibrated.compute.peak(.matrix, .bf16)?.provenance == .measured(run: report.run.id))
    }

    @Test func aBaseCalibratingAnotherMachineIsRefusedBeforeAnythingIsRecorded() throws {
        let store = try Store.inMemory()
        let spec = try SyntheticCPU.machine()
        var other = spec
        other.name = "other-gpu"
        let base = try Fit.apply([], to: other, runID: "cal-other")
        let path = try write(Self.good)
        #expect {
            try CalibrationImporter(store: store).run(CalibrationImport.load(path: path), spec: spec, base: base)
        } throws: { error in
            "\(error)" == "\(path): the figures are for machine \"synthetic-cpu\", but the base \"other-gpu-measured\" calibrates another; expected a base of synthetic-cpu-measured"
        }
        #expect(try store.calibrationRuns().isEmpty)
    }
}
