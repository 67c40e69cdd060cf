import MachineModel
import Testing

/// Request bodies are read by KernelCast's own strict JSON reader: the same readers on top, every value's place kept.
@Suite struct JSONDocumentTests {
    func root(_ text: String) throws(FormatError) -> MappingReader { try YAMLDocument(json: text, file: "body").root.mapping() }

    @Test func valuesKeepTheirLinesAndColumns() throws {
        let m = try root("{\n  \"m\": 4096,\n  \"dtype\": \"fp16\",\n  \"n\": -3\n}")
        #expect(try m.required("m") { v throws(FormatError) in try v.int() } == 4096)
        #expect(try m.required("dtype") { v throws(FormatError) in try v.string() } == "fp16")
        let error = #expect(throws: FormatError.self) { try m.required("n") { v throws(FormatError) in try v.positiveInt() } }
        #expect(error?.description == "body:4:8: error: n: expected a positive whole number, got -3")
        #expect(m.location(of: "dtype").description == "body:3:3")
    }

    @Test func escapesAndCharactersPastTheBasicPlaneAreRead() throws {
        let m = try root(#"{"a": "tab\tquote\" \u00e9 \ud83d\ude00 ok", "b": "ü😀"}"#)
        #expect(try m.required("a") { v throws(FormatError) in try v.string() } == "tab\tquote\" é 😀 ok")
        #expect(try m.required("b") { v throws(FormatError) in try v.string() } == "ü😀")
    }

    @Test func aQuotedNullIsTextAndABareOneIsAbsent() throws {
        let m = try root(#"{"a": "null", "b": null}"#)
        #expect(try m.optional("a") { v throws(FormatError) in try v.string() } == "null")
        #expect(try m.optional("b") { v throws(FormatError) in try v.string() } == nil)
    }

    @Test(arguments: [
        ("{\"a\": 1, \"a\": 2}", "body:1:10: error: a: duplicate key; each key may appear once in a mapping"),
        ("{\"a\": 1,}", "body:1:9: error: not valid JSON: expected a key in double quotes"),
        ("{\"a\": 01}", "body:1:8: error: not valid JSON: expected ',' or '}'"),
        ("{\"a\": \"x\ny\"}", "body:1:9: error: not valid JSON: a control character inside a string must be escaped"),
        ("{\"a\": \"\\ud83d\"}", "body:1:14: error: not valid JSON: a high surrogate must be followed by a low one"),
        ("{\"a\": &anchor 1}", "body:1:7: error: not valid JSON: expected a value (an object, a list, a string, a number, true, false or null)"),
        ("{\"a\": 1} x", "body:1:10: error: not valid JSON: unexpected text after the JSON value"),
        ("{\"a\": [1, 2", "body:1:12: error: not valid JSON: expected ',' or ']'"),
    ])
    func malformedJSONIsNamedWhereItBreaks(text: String, expected: String) {
        let error = #expect(throws: FormatError.self) { _ = try YAMLDocument(json: text, file: "body") }
        #expect(error?.description == expected)
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: FormatError.self) { _ = try YAMLDocument(json: "{\"a\": \(deep)}", file: "body") }
        #expect(error?.message == "not valid JSON: nested deeper than 256 levels")
    }

    @Test func aNestedValueIsWrittenBackAsJSONThatReadsTheSame() throws {
        let m = try root(#"{"space": {"name": "s", "n": [1, 2.5, true], "q": "say \"hi\"", "z": null}}"#)
        let text = try m.required("space") { v throws(FormatError) in v.serialized() }
        #expect(text == "{\"name\": \"s\", \"n\": [1, 2.5, true], \"q\": \"say \\\"hi\\\"\", \"z\": null}\n")
        let again = try YAMLDocument(text: text, file: "again").root.mapping()
        #expect(try again.required("q") { v throws(FormatError) in try v.string() } == "say \"hi\"")
    }
}
