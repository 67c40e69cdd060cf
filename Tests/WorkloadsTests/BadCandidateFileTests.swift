import MachineModel
import Testing
@testable import Workloads

/// Every malformed candidate file gives one error naming file, line, column and field.
@Suite struct BadCandidateFileTests {
    static let good = """
        version: 1
        name: g
        family: gemm
        problem: {m: 64, n: 64, k: 64, dtype: fp16}
        schedule: {block_m: 64, block_n: 64, block_k: 32, warps: 4, stages: 2}
        """

    static let cases: [(String, String, String)] = [
        // (what to replace, with what, the expected error)
        ("version: 1", "version: 2",
         "bad.yaml:1:1: error: version: version 2 is not supported; this kernelcast reads versions 1 to 1"),
        ("family: gemm", "family: conv",
         "bad.yaml:3:9: error: family: expected one of gemm, elementwise, reduction, attention, generic, got \"conv\""),
        ("dtype: fp16}", "dtype: fp16, dtpye: fp16}",
         "bad.yaml:4:45: error: problem.dtpye: unknown field; expected one of batch, dtype, epilogue, k, m, n, trans_a, trans_b"),
        ("dtype: fp16}", "dtype: int4}",
         "bad.yaml:4:39: error: problem.dtype: expected one of fp32, tf32, fp16, bf16, fp8, int8, got \"int4\""),
        ("block_m: 64, ", "",
         "bad.yaml:5:11: error: schedule.block_m: missing required field"),
        ("warps: 4", "warps: [4, -8]",
         "bad.yaml:5:62: error: schedule.warps[1]: expected a positive whole number, got -8"),
        ("warps: 4", "warps: []",
         "bad.yaml:5:58: error: schedule.warps: expected at least one value"),
        ("stages: 2}", "stages: 2, split_k: two}",
         "bad.yaml:5:81: error: schedule.split_k: expected a whole number, got \"two\""),
        ("name: g\n", "",
         "bad.yaml:1:1: error: name: missing required field"),
        // Numbers past what any device runs are refused where they are read, before any arithmetic overflows.
        ("stages: 2}", "stages: 2}\ncompiler: {shared_bytes: 1e30}",
         "bad.yaml:6:26: error: compiler.shared_bytes: expected a number of bytes from 0 to 2^50 (1 PiB), got \"1e30\""),
        ("stages: 2}", "stages: 2}\ncompiler: {shared_bytes: 1e30 KiB}",
         "bad.yaml:6:26: error: compiler.shared_bytes: expected a number of bytes from 0 to 2^50 (1 PiB), got \"1e30 KiB\""),
        ("k: 64,", "k: 9223372036854775807,",
         "bad.yaml:4:28: error: problem.k: expected a positive whole number of at most 2147483647, got 9223372036854775807"),
        ("m: 64, n: 64, k: 64,", "m: 2000000000, n: 64, k: 2000000000,",
         "bad.yaml:4:10: error: problem: A (m x k x batch) would hold 4000000000000000000 elements; expected at most 2^40 (1099511627776)"),
        ("warps: 4", "warps: 4611686018427387904",
         "bad.yaml:5:58: error: schedule.warps: expected a positive whole number of at most 1048576, got 4611686018427387904"),
    ]

    @Test(arguments: cases)
    func rejects(_ replace: String, _ with: String, _ expected: String) {
        let text = Self.good.replacingOccurrences(of: replace, with: with)
        #expect(throws: Never.self) { try CandidateFile.parse(Self.good, file: "good.yaml") }
        do {
            _ = try CandidateFile.parse(text, file: "bad.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == expected)
        }
    }

    /// Seven lists of a thousand values: 10^21 candidates would overflow the count; refused where it is read.
    @Test func aSpaceTooLargeToCountIsRefused() {
        let values = "[" + (1...1000).map { "\(16 * $0)" }.joined(separator: ", ") + "]"
        let text = """
            version: 1
            name: huge
            family: gemm
            problem: {m: 4096, n: 4096, k: 4096, dtype: fp16}
            schedule: {block_m: \(values), block_n: \(values), block_k: \(values), warps: \(values), stages: \(values), group_m: \(values), split_k: \(values)}
            """
        do {
            _ = try CandidateFile.parse(text, file: "huge.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description == "huge.yaml:5:11: error: schedule: the lists make 1000000000000000000000 candidates; expected at most 2^40 (1099511627776); split the space")
        }
    }

    @Test func attentionFlashNeedsItsTiles() {
        let text = """
            version: 1
            name: a
            family: attention
            problem: {batch: 1, heads: 1, seq_len: 128, head_dim: 64, causal: false, dtype: fp16}
            schedule: {variant: flash, block_q: 64, warps: 4, stages: 2}
            """
        #expect(throws: FormatError.self) { try CandidateFile.parse(text, file: "a.yaml") }
    }

    @Test func invalidYAMLNamesTheLine() {
        do {
            _ = try CandidateFile.parse("version: 1\nname: [unclosed\n", file: "y.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("y.yaml:"))
            #expect(error.description.contains("not valid YAML"))
        }
    }
}
