import Testing
@testable import Verifier

@Suite struct ExpressionTests {
    @Test(arguments: [
        ("ceil_div(N, 64) * 16", 208), ("round_up(M, 16)", 112), ("M * K + 3", 5603), ("max(1, K / 4)", 14), ("min(M, N, K)", 56),
        ("-(M - N) % 7", 4), ("(M+1)*(N-1)/3", 27977), ("lda", 56), ("42", 42),
    ])
    func evaluates(_ text: String, _ expected: Int) throws {
        let variables = ["M": 100, "N": 832, "K": 56, "lda": 56]
        #expect(try SizeExpression(text).evaluate(variables) == expected)
    }

    @Test(arguments: [
        ("ceil_div(N, 64", "expected \")\" at column 15"), ("M +", "expected a number, a name or \"(\""), ("M $ 2", "unexpected \"$\""),
        ("Q * 2", "unknown name \"Q\"; known: K, M, N"), ("floor(N)", "unknown function \"floor\""), ("N / (M - M)", "division by zero"),
        (String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300), "nested deeper than 200 levels"),
        (String(repeating: "-", count: 300) + "1", "nested deeper than 200 levels"),
        // A long chain nests as deep as it is long: bounded by the text's length.
        (String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000), "an expression of 200001 characters; at most 1000"),
        ("1" + String(repeating: "+1", count: 50_000), "an expression of 100001 characters; at most 1000"),
        ("M * 9223372036854775807 * 2", "does not fit in 64 bits"), ("-(-9223372036854775807 - 1)", "does not fit in 64 bits"),
        ("round_up(9223372036854775807, 2)", "does not fit in 64 bits"),
    ])
    func rejects(_ text: String, _ message: String) {
        #expect {
            _ = try SizeExpression(text).evaluate(["M": 1, "N": 2, "K": 3])
        } throws: { error in
            (error as? VerifierError).map { $0.code == .expression && $0.message.contains(message) } ?? false
        }
    }

    @Test func anErrorQuotingAHugeExpressionStaysShort() {
        let text = "N * " + String(repeating: "a", count: 100_000)
        #expect {
            _ = try SizeExpression(text).evaluate(["N": 2])
        } throws: { error in
            (error as? VerifierError).map { $0.message.count < 400 && $0.message.contains("(100004 characters)") } ?? false
        }
    }
}
