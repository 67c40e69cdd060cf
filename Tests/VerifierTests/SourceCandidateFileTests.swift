import Testing
@testable import Verifier

/// Source candidates are read with the bounds of candidate files, so that a size never overflows a buffer count.
@Suite struct SourceCandidateFileTests {
    static func candidate(_ problem: String) -> String {
        """
        version: 1
        name: huge
        family: gemm
        problem: {\(problem)}
        source: {text: "kernel void k() {}", kernel: k, global: [M, N], args: [M, N, K, A, B, C]}
        """
    }

    @Test(arguments: [
        ("m: 9223372036854775807, n: 2, k: 2", "h.yaml:4:14: error: problem.m: expected a positive whole number of at most 2147483647, got 9223372036854775807"),
        ("m: 2000000000, n: 2, k: 2000000000", "h.yaml:4:10: error: problem: A (m x k x batch) would hold 4e+18 elements; expected at most 2^40 (1099511627776)"),
    ])
    func hugeSizesAreRefusedWhereTheyAreRead(problem: String, expected: String) {
        #expect {
            _ = try SourceCandidateFile.parse(Self.candidate(problem), file: "h.yaml")
        } throws: { error in
            "\(error)" == expected
        }
    }
}
