import Testing
@testable import MachineModel

/// Aliases cannot make a small file cost minutes: expansion is bounded and aliases as keys are refused.
@Suite struct YAMLBoundsTests {
    /// Nine levels of nine aliases each: 387 million values from about 450 bytes.
    static func bomb(last: String) -> String {
        var lines = ["a0: &l0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1...8 { lines.append("a\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        return (lines + [last]).joined(separator: "\n") + "\n"
    }

    @Test func anExpandingAliasIsRefused() {
        do {
            _ = try YAMLDocument(text: Self.bomb(last: "b: *l8"), file: "b.yaml")
            Issue.record("parsed")
        } catch {
            #expect(error.description == "b.yaml:1:1: error: aliases expand the document past 1000000 values; write the values out")
        }
    }

    @Test(arguments: ["? *l8\n: 1", "*l8 : 1", "c: {*l8: 1}", "- *l8: 1"])
    func anAliasAsAKeyIsRefused(last: String) {
        do {
            _ = try YAMLDocument(text: Self.bomb(last: last), file: "b.yaml")
            Issue.record("parsed")
        } catch {
            #expect(error.description == "b.yaml:10:1: error: an alias (*name) used as a mapping key; write the key out")
        }
    }

    @Test func smallAliasesStillRead() throws {
        let document = try YAMLDocument(text: "base: &b {x: 1}\nuse: *b\nstar: \"a *b: c\"\n", file: "a.yaml")
        let root = try document.root.mapping()
        let x = try root.required("use") { v throws(FormatError) in try v.mapping().required("x") { w throws(FormatError) in try w.int() } }
        #expect(x == 1)
    }

    @Test func anErrorIsOneShortLineWhateverItQuotes() {
        let long = FormatError(FileLocation(file: "f.yaml", line: 3, column: 7), field: "kind", "got \"" + String(repeating: "x", count: 100_000) + "\"")
        #expect(long.description.count < 700)
        #expect(long.description.hasSuffix("... (99406 more characters)"))
        let broken = FormatError(FileLocation(file: "f.yaml", line: 3, column: 7), field: "kind", "got \"a\nb\"")
        #expect(broken.description == "f.yaml:3:7: error: kind: got \"a\\u{a}b\"")
    }
}
