import Foundation
import Testing

@Suite struct PredictCommandTests {
    /// The frozen machine of the cost-model tests, so that edits to machines/ do not move this output.
    static let machine = "Tests/CostModelTests/Fixtures/h100-fixture.yaml"

    @Test func predictsASmallSpaceExactly() throws {
        let result = try runKernelCast(["predict", "plans/examples/elementwise-chain.yaml", "--machine", Self.machine, "--top", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            elementwise-fp32-16M-ops4 on h100-fixture: elementwise elements=16777216 ops=4 dtype=fp32 extra_inputs=0
            12 candidates: 12 feasible, 0 infeasible

            RANK  SCHEDULE            TIME     LOWER     UPPER  TFLOP/S  HBM GB/S  OCC  BOUND
               1  fused b1024 w8  49.99 us  48.52 us   66.9 us     1.34      2685    8  dram
               2  fused b1024 w4  50.03 us  48.67 us   66.3 us     1.34      2683   16  dram
               3  fused b4096 w8  50.09 us  48.77 us  66.11 us     1.34      2680    6  dram

            best: fused b1024 w8
              DRAM-bound at 80% of spec bandwidth
              alone: vector 4.799 us, l2 12.84 us, dram 44.52 us, latency 16.45 us, pipeline 750.7 ns, launch 4 us
              occupancy: 8 block(s) per SM, 64 warps (100%), limited by warps
              grid: 16384 blocks of 256 threads, 15.5 waves (last wave 52% full)
              registers: 22 per thread; shared memory: 0 B per block
              traffic: hbm 128 MiB, l2 128 MiB, shared 0 B
            machine fields: 27 spec, 0 measured, 3 detected or derived, 2 model default (memory.l2.bandwidth, launch_overhead)
            """ + "\n")
    }

    /// The facts `verify` prints for a CUDA kernel replace the model's estimates: registers, shared memory, spills.
    @Test func compilerFactsFromTheCommandLineReplaceTheEstimates() throws {
        let space = "plans/examples/cuda-sgemm-64x64.yaml"
        let estimated = try runKernelCast(["predict", space, "--machine", Self.machine])
        let reported = try runKernelCast(["predict", space, "--machine", Self.machine, "--compiler",
                                          "{toolchain: cuda, registers_per_thread: 128, shared_bytes: 8448, spills: 0}"])
        #expect(estimated.status == 0 && reported.status == 0, "\(estimated.stderr)\(reported.stderr)")
        #expect(reported.stdout.contains("  registers: 128 per thread; shared memory: 8.448 KB per block\n"), "\(reported.stdout)")
        #expect(!estimated.stdout.contains("registers: 128 per thread"))
        let typo = try runKernelCast(["predict", space, "--machine", Self.machine, "--compiler", "{registerz: 2}"])
        #expect(typo.status == 1)
        #expect(typo.stderr == "--compiler:1:2: error: registerz: unknown field; did you mean registers_per_thread? expected one of registers_per_thread, shared_bytes, spills, toolchain\n")
    }

    @Test func countsInfeasibleCandidatesByReason() throws {
        let result = try runKernelCast(["predict", "plans/examples/gemm-fp16-4096.yaml", "--machine", Self.machine, "--top", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines[1] == "432 candidates: 336 feasible, 96 infeasible")
        #expect(lines[2] == "  infeasible 96: shared memory (e.g. shared memory 640 KiB > 227 KiB per block)")
    }

    @Test func jsonCarriesTheBreakdown() throws {
        let result = try runKernelCast(["predict", "plans/examples/attention-causal.json", "--machine", Self.machine, "--top", "2", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let top = object?["top"] as? [[String: Any]]
        #expect(top?.count == 2)
        let first = top?.first
        #expect(first?["feasible"] as? Bool == true)
        #expect((first?["time_s"] as? Double).map { $0 > 0 } == true)
        #expect((first?["resources_s"] as? [String: Any])?.keys.contains("matrix") == true)
        let fields = object?["machine_fields"] as? [[String: Any]]
        #expect(fields?.contains { $0["field"] as? String == "memory.hbm.bandwidth" && $0["provenance"] as? String == "spec" } == true)
    }

    @Test func everyShippedExampleRuns() throws {
        for name in ["gemm-fp16-4096.yaml", "elementwise-chain.yaml", "softmax-fp16.yaml", "attention-causal.json", "attention-warp-specialised.yaml", "generic-stencil.yaml"] {
            let result = try runKernelCast(["predict", "plans/examples/\(name)", "--machine", Self.machine, "--top", "1"])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stdout.contains("\nbest: "), "\(name)")
        }
    }

    @Test func aBadCandidateFileIsOneLineWithItsLocation() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-predict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.yaml")
        try "version: 1\nname: b\nfamily: gemm\nproblem: {m: 64, n: 64, k: 64, dtype: fp16}\nschedule: {block_m: 64, block_n: 64, block_k: 32, warps: 4, stages: 2, stagse: 3}\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let result = try runKernelCast(["predict", bad.path, "--machine", Self.machine])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr == "\(bad.path):5:72: error: schedule.stagse: unknown field; expected one of block_k, block_m, block_n, group_m, matrix_units, persistent, split_k, stages, warps\n")
    }

    /// A space past what predict scores one by one is refused at once, pointing at plan, which samples it.
    @Test func aSpaceTooLargeToScoreIsSentToPlan() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-predict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let big = folder.appendingPathComponent("big.yaml")
        let values = "[" + (1...40).map { "\(16 * $0)" }.joined(separator: ", ") + "]"
        try "version: 1\nname: big\nfamily: gemm\nproblem: {m: 4096, n: 4096, k: 4096, dtype: fp16}\nschedule: {block_m: \(values), block_n: \(values), block_k: \(values), warps: \(values), stages: \(values)}\n"
            .write(to: big, atomically: true, encoding: .utf8)
        let result = try runKernelCast(["predict", big.path, "--machine", Self.machine])
        #expect(result.status == 1)
        #expect(result.stderr == "error: \(big.path) holds 102400000 candidates, more than predict scores one by one (20000000); kernelcast plan \(big.path) --machine \(Self.machine) samples it\n")
    }
}

@Suite struct EvalCommandTests {
    @Test func scoresTheCommittedMeasurements() throws {
        let result = try runKernelCast(["eval", "calibration/measurements/h100-sxm/triton-spaces.json", "--machine",
                                        PredictCommandTests.machine, "--split", "all"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\ntune (41 spaces): mean Spearman "))
        #expect(result.stdout.contains("\nholdout (25 spaces): mean Spearman "))
        #expect(result.stdout.contains("out_of_resources flagged 45/45"))
    }

    @Test func scoresTheShippedExampleExactly() throws {
        let result = try runKernelCast(["eval", "plans/examples/measured-h100.json", "--machine", PredictCommandTests.machine])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            SPACE                           FAMILY       SPLIT    TIMED  SPEARMAN   TOP-1  TOP-5   MAPE    PAIRS       OOR     FALSE
                                                                                                                   FLAGGED       INF
            elementwise-fp32-33554432-ops1  elementwise  holdout  20/20     0.893  0.136%     0%  1.21%  108/111       0/0         0
            softmax-fp16-16384x2048         reduction    holdout    5/5     0.700    1.8%     0%     2%      4/4       0/0         0
            softmax-fp32-16384x2048         reduction    holdout    5/5     0.900      0%     0%  1.89%      4/4       0/0         0
            softmax-fp16-16384x8192         reduction    holdout    5/5     0.500  0.735%     0%  4.23%      6/7       0/0         0

            holdout (4 spaces): mean Spearman 0.748, mean top-1 regret 0.669%, mean top-5 regret 0%, MAPE 1.85%,
                out_of_resources flagged 0/0, falsely infeasible 0; pairs told apart by the measurement ordered right 96.8%
              elementwise (1): Spearman 0.893, top-1 0.136%, top-5 0%, MAPE 1.21%, pairs 97.3%
              reduction (3): Spearman 0.700, top-1 0.846%, top-5 0%, MAPE 2.71%, pairs 93.3%
            machine fields: 27 spec, 0 measured, 3 detected or derived, 2 model default (memory.l2.bandwidth, launch_overhead);
                compiler facts not used
            """ + "\n")
    }

    /// --refinement scores the refined terms; without it eval scores the model's own (the figure above).
    @Test func scoresARefinementWhenAskedTo() throws {
        let result = try runKernelCast(["eval", "plans/examples/measured-h100.json", "--machine", PredictCommandTests.machine,
                                        "--refinement", "calibration/results/h100-sxm/refinement.json"])
        let own = try runKernelCast(["eval", "plans/examples/measured-h100.json", "--machine", PredictCommandTests.machine])
        #expect(result.status == 0, "\(result.stderr)")
        func summary(_ text: String) -> String? { text.split(separator: "\n").first { $0.hasPrefix("holdout (4 spaces)") }.map(String.init) }
        #expect(summary(result.stdout) != nil)
        #expect(summary(result.stdout) != summary(own.stdout))
    }

    /// The example is four spaces of the confirmation campaign, copied as measured.
    @Test func theShippedExampleIsWhatTheH100Measured() throws {
        func spaces(_ path: String) throws -> [String: NSDictionary] {
            let data = try Data(contentsOf: repositoryRoot.appendingPathComponent(path))
            let file = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            let list = file?["spaces"] as? [[String: Any]] ?? []
            return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as? String ?? "", $0 as NSDictionary) })
        }
        let example = try spaces("plans/examples/measured-h100.json")
        let campaign = try spaces("calibration/measurements/h100-sxm/inflight/inflight-a.json")
        #expect(example.count == 4)
        for (name, space) in example { #expect(campaign[name] == space, "\(name)") }
    }

    @Test func rejectsAFileOfAnotherKind() throws {
        let result = try runKernelCast(["eval", "calibration/measurements/h100-sxm/tensor-rates.json", "--machine", PredictCommandTests.machine])
        #expect(result.status == 1)
        #expect(result.stderr.contains("is this a measurement file?"))
    }
}

/// One error style and one set of exit codes for every command (README, "Exit codes").
@Suite struct ErrorStyleTests {
    static let machine = "h100-sxm"

    @Test func aMisspeltFieldIsNamedWhereItIsWithTheLikelyWord() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("typo.yaml")
        try "version: 1\nname: t\nfamily: gemm\nproblem: {m: 64, n: 64, k: 64, dtype: fp16}\nschedule: {block_m: 64, block_n: 64, block_k: 32, warps: 4, stagse: 3}\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let result = try runKernelCast(["predict", bad.path, "--machine", Self.machine])
        #expect(result.status == 1)
        #expect(result.stderr == "\(bad.path):5:61: error: schedule.stages: missing required field; is \"stagse\" here a misspelling of it?\n")
    }

    @Test func inputErrorsAreOneLineWithoutUsageAndExitOne() throws {
        let unknown = try runKernelCast(["predict", "plans/examples/gemm-fp16-4096.yaml", "--machine", "h100"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("error: no machine named \"h100\"; did you mean h100-sxm? known: "))
        #expect(!unknown.stderr.contains("Usage"))
        #expect(unknown.stderr.split(separator: "\n").count == 1)

        let missing = try runKernelCast(["predict", "nope.yaml", "--machine", Self.machine])
        #expect(missing.status == 1)
        #expect(missing.stderr == "nope.yaml: error: cannot read the file: No such file or directory\n")
    }

    @Test func usageErrorsExitTwoWithTheUsageLine() throws {
        let negative = try runKernelCast(["predict", "plans/examples/gemm-fp16-4096.yaml", "--machine", Self.machine, "--top", "-1"])
        #expect(negative.status == 2)
        #expect(negative.stderr.hasPrefix("error: --top must be at least 1\nUsage: kernelcast predict "))
        let unknownOption = try runKernelCast(["predict", "--bogus"])
        #expect(unknownOption.status == 2)
        #expect(!unknownOption.stderr.contains("Error:"))
        #expect(!unknownOption.stderr.contains("error: error:"))
    }

    @Test func versionIsPrinted() throws {
        let result = try runKernelCast(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: ".").count == 3)
    }

    /// A read command never creates a store: a mistyped --store is an error, and no folder or file appears.
    @Test func aReadCommandNeverCreatesAStore() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-nostore-\(UUID().uuidString)")
        let path = folder.appendingPathComponent("typo.sqlite").path
        let result = try runKernelCast(["measurements", "list", "--store", path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(path): store error (not-found): no store here;"))
        #expect(!FileManager.default.fileExists(atPath: folder.path))

        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        FileManager.default.createFile(atPath: path, contents: Data())
        let empty = try runKernelCast(["measurements", "list", "--store", path])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("is an empty file, not a store"))
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 0)
    }

    /// Wide tables are wrapped to 120 columns unless --wide is asked for.
    @Test func tablesFitOneHundredTwentyColumns() throws {
        let diff = try runKernelCast(["machines", "diff", "h100-sxm", "h200-sxm", "--all"])
        #expect(diff.status == 0)
        #expect(diff.stdout.split(separator: "\n").allSatisfy { $0.count <= 120 })
        let wide = try runKernelCast(["machines", "diff", "h100-sxm", "h200-sxm", "--all", "--wide"])
        #expect(wide.stdout.split(separator: "\n").contains { $0.count > 120 })
    }
}
