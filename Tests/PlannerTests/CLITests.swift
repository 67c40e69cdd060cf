import Foundation
import Planner
import Testing

/// Runs the built `kernelcast` (next to the test bundle) from the repository root.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func kernelcastExecutable() -> URL {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("kernelcast")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        folder.deleteLastPathComponent()
    }
    return repositoryRoot.appendingPathComponent(".build/debug/kernelcast")
}

@discardableResult
func runKernelCast(_ arguments: [String], in directory: URL = repositoryRoot) throws -> CLIResult {
    let process = Process()
    process.executableURL = kernelcastExecutable()
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

@Suite struct PlanCommandTests {
    /// A small plan, exactly as printed (generic kernels: times follow from their counters and the H100's figures).
    @Test func aSmallPlanPrintsExactly() throws {
        // A frozen copy of the H100 machine, so that edits to machines/ do not move this output.
        let result = try runKernelCast(["plan", "Tests/PlannerTests/Fixtures/stream-variants.yaml", "--machine", "Tests/PlannerTests/Fixtures/h100-planner-fixture.yaml",
                                        "--budget", "2", "--no-refinement", "--top", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try String(contentsOf: repositoryRoot.appendingPathComponent("Tests/PlannerTests/Fixtures/stream-variants.plan.txt"), encoding: .utf8)
        #expect(result.stdout == expected)
    }

    @Test func thePlanFileIsWhatVerifyReads() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kc-plan-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try runKernelCast(["plan", "plans/examples/gemm-fp16-4096.yaml", "--machine", "h100-sxm", "--budget", "3",
                                        "--no-refinement", "--output", output.path, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any]
        #expect(file?["kind"] as? String == "kernelcast-plan")
        #expect(file?["version"] as? Int == 1)
        #expect((file?["picks"] as? [[String: Any]])?.count == 3)
        #expect((file?["picks"] as? [[String: Any]])?.first?["reason"] as? String == "best predicted")
        let stdout = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(stdout?["space"] as? String == "gemm-fp16-4096")
    }

    @Test func userErrorsArePlainSentences() throws {
        let badBudget = try runKernelCast(["plan", "plans/examples/gemm-fp16-4096.yaml", "--machine", "h100-sxm", "--budget", "0"])
        #expect(badBudget.status != 0)
        #expect(badBudget.stderr.contains("--budget must be at least 1"))
        let badEdit = try runKernelCast(["whatif", "plans/examples/gemm-fp16-4096.yaml", "--machine", "h100-sxm", "--set", "l9.bandwidth=x2"])
        #expect(badEdit.status != 0)
        #expect(badEdit.stderr.contains("h100-sxm has no memory level \"l9\""))
    }

    @Test func replayIsLabelledAsAReplay() throws {
        let result = try runKernelCast(["replay", "calibration/measurements/h100-sxm/triton-spaces.json", "--machine", "h100-sxm",
                                        "--family", "gemm", "--no-refinement"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("REPLAY of calibration/measurements/h100-sxm/triton-spaces.json on h100-sxm (recorded times answer each pick; no\n    hardware ran)\n"))
        #expect(result.stdout.contains(" of 5 spaces within 2% of the exhaustive best after at most 5 run(s)"))
    }
}

/// The loop end to end through both kinds of runner: in-process OpenCL on the PoCL CPU device, and an external
/// command (the verifier's NumPy reference runner), each with a store of its own.
@Suite(.serialized) struct LoopCommandTests {
    func temporaryStore() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kc-loop-\(UUID().uuidString).sqlite")
    }

    @Test func theLoopRunsOnThePoCLDeviceAndResumes() throws {
        let store = temporaryStore()
        defer { try? FileManager.default.removeItem(at: store) }
        let arguments = ["loop", "Tests/PlannerTests/Fixtures/tiny-sgemm.yaml", "--device", "opencl:0", "--budget", "2",
                         "--store", store.path, "--repetitions", "3", "--checks", "2"]
        let first = try runKernelCast(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let lines = first.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("loop small-gemm on ") == true)
        #expect(lines.contains { $0.hasPrefix("run 1: ") && $0.contains("(best predicted: ") })
        #expect(lines.contains("stopped: budget of 2 run(s) spent after 2 run(s)"))
        #expect(lines.last?.hasPrefix("final choice: ") == true)
        // Run again: the verified candidates are loaded from the store (two, or one measured twice when its first
        // runs were too noisy to keep), and new candidates run.
        let second = try runKernelCast(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        let ran = Set(lines.filter { $0.hasPrefix("run ") }.compactMap { $0.split(separator: ":", maxSplits: 1).last?.split(separator: "(").first })
        #expect(second.stdout.contains("; \(ran.count) already verified on this device, loaded from the store"), "\(first.stdout)")
        #expect(second.stdout.contains("best predicted of those not yet measured"))
    }

    @Test func theLoopRunsThroughAnExternalCommand() throws {
        let store = temporaryStore()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kc-loop-\(UUID().uuidString).json")
        defer {
            try? FileManager.default.removeItem(at: store)
            try? FileManager.default.removeItem(at: output)
        }
        let result = try runKernelCast(["loop", "Tests/PlannerTests/Fixtures/tiny-sgemm.yaml", "--machine", "h100-sxm",
                                        "--runner-command", "python3 calibration/verifier/numpy_runner.py", "--budget", "2",
                                        "--store", store.path, "--output", output.path, "--repetitions", "3", "--checks", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let loop = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any]
        #expect(loop?["kind"] as? String == "kernelcast-loop")
        let steps = loop?["steps"] as? [[String: Any]] ?? []
        #expect(steps.count == 2)
        #expect(steps.allSatisfy { $0["verdict"] as? String == "pass" })
        // A label runs twice only when its first runs spread too widely to be believed (the numpy runner's tiny
        // kernels often do): it is measured again.
        let first = steps[0]
        let spread = ((first["high_s"] as? Double ?? 0) - (first["low_s"] as? Double ?? 0)) / (first["measured_s"] as? Double ?? 1)
        let labels = Set(steps.compactMap { $0["label"] as? String }).count
        #expect(labels == (spread > SpaceKnowledge.Measured.noisySpread ? 1 : 2), "spread \(spread)")
    }
}

@Suite struct FusionCommandTests {
    /// The committed H200 eager-block trace on the committed calibrated H200, exactly as printed: kernels as run
    /// beside their measured times, and the fusions generated from them.
    @Test func aProfilerTraceIsPlannedExactly() throws {
        let result = try runKernelCast(["fusion", "calibration/measurements/h200-sxm/fusion/eager_block_trace.json",
                                        "--machine", calibratedH200, "--no-refinement"])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try String(contentsOf: repositoryRoot.appendingPathComponent("Tests/PlannerTests/Fixtures/eager-block.fusion.txt"), encoding: .utf8)
        #expect(result.stdout == expected)
    }

    @Test func aMalformedTraceIsOneLineAndNothingElse() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-fusion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let trace = folder.appendingPathComponent("trace.json")
        try #"{"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "ts": 0, "dur": 1}]}"#.write(to: trace, atomically: true, encoding: .utf8)
        let result = try runKernelCast(["fusion", trace.path, "--machine", "h200-sxm"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "\(trace.path):1:1: error: traceEvents: no GPU kernels in the trace; profile with activities=[CPU, CUDA]\n")
    }
}

@Suite struct CalibrateImportCommandTests {
    /// The H200's harness figures onto its OpenCL calibration, keeping the FMA peak the suite probed directly.
    @Test func skippedFieldsKeepTheBaseFigure() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try runKernelCast(["calibrate", "import", "calibration/measurements/h200-sxm/calibration/tensor_rates.json",
                                        "--base", "calibration/results/h200-sxm/cal-h200-sxm-20261204-190552.yaml",
                                        "--skip", "compute.peak.vector.fp32", "--store", folder.appendingPathComponent("s.sqlite").path,
                                        "--output-dir", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("skipped (--skip): compute.peak.vector.fp32, kept as the base states it"))
        let written = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("h200-sxm").path)
        let yaml = try #require(written.first { $0.hasSuffix(".yaml") })
        let text = try String(contentsOfFile: folder.appendingPathComponent("h200-sxm/\(yaml)").path, encoding: .utf8)
        #expect(text.contains("fp32: {value: 64.86 TFLOP/s, measured: cal-h200-sxm-20261204-190552}"))
        #expect(text.contains("fp16: {value: 739.7 TFLOP/s, measured: cal-h200-"))
    }

    @Test func skippingAFieldTheFileDoesNotMeasureIsAnError() throws {
        let result = try runKernelCast(["calibrate", "import", "calibration/measurements/h200-sxm/calibration/tensor_rates.json",
                                        "--skip", "compute.peak.vector.fp8", "--store", "/nonexistent/never-opened.sqlite"])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("error: calibration/measurements/h200-sxm/calibration/tensor_rates.json: --skip compute.peak.vector.fp8: the file measures no such field"))
    }
}

/// A stored run fitted again under today's rules, without the device.
@Suite struct CalibrateRefitCommandTests {
    /// The H200's run of 2026-12-04, exactly as printed: today's rules no longer fit the OpenCL launch figure on an
    /// NVIDIA GPU, and take the L2 from spread footprints. The written machine file is the committed one.
    @Test func theH200RunRefitsExactly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-refit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try runKernelCast(["calibrate", "refit", "calibration/results/h200-sxm/cal-h200-sxm-20261204-190552.json",
                                        "--output-dir", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try String(contentsOf: repositoryRoot.appendingPathComponent("Tests/PlannerTests/Fixtures/h200-refit.txt"), encoding: .utf8)
        #expect(result.stdout == expected.replacingOccurrences(of: "OUTPUT", with: folder.path))
        let written = try String(contentsOfFile: folder.appendingPathComponent("h200-sxm/cal-h200-sxm-20261204-190552-refit.yaml").path, encoding: .utf8)
        let committed = try String(contentsOf: repositoryRoot.appendingPathComponent("calibration/results/h200-sxm/cal-h200-sxm-20261204-190552-refit.yaml"), encoding: .utf8)
        #expect(written == committed)
    }

    @Test func aFileThatIsNoRunIsOneLine() throws {
        let result = try runKernelCast(["calibrate", "refit", "calibration/measurements/h200-sxm/calibration/tensor_rates.json",
                                        "--machine", "h200-sxm", "--output-dir", "/nonexistent"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("calibration/measurements/h200-sxm/calibration/tensor_rates.json:"))
        #expect(result.stderr.hasSuffix("error: kind: expected \"kernelcast-calibration-run\" (a <run-id>.json of `kernelcast calibrate`), got \"kernelcast-calibration-import\"\n"))
    }
}

/// The OpenCL sources live once, compiled in; `calibrate kernels` writes them out for people and other tools.
@Suite struct CalibrateKernelsCommandTests {
    @Test func writesEveryKernelAsAFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-kernels-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try runKernelCast(["calibrate", "kernels", "--output", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "wrote 7 calibration kernels and 4 verifier templates to \(folder.path)\n")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files == ["chase.cl", "fma.cl", "launch.cl", "local.cl", "ops.cl", "stream.cl", "sweep.cl", "verifier"])
        let templates = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("verifier").path).sorted()
        #expect(templates == ["elementwise.cl", "rows.cl", "sgemm.cl", "transpose.cl"])
        let sgemm = try String(contentsOf: folder.appendingPathComponent("verifier/sgemm.cl"), encoding: .utf8)
        #expect(sgemm.contains("__kernel"))
    }
}
