import MachineModel
import Testing

@Suite struct JSONValueTests {
    let value = JSONValue.object([("status", .string("ok")), ("n", .int(3)), ("list", .array([.bool(false), .null, .number(0.5)])),
                                  ("nested", .object([("q", .string("say \"hi\"\n"))]))])

    @Test func compactIsOneLineWithoutSpaces() {
        #expect(value.compact() == #"{"status":"ok","n":3,"list":[false,null,0.5],"nested":{"q":"say \"hi\"\n"}}"#)
    }

    @Test func renderedIsIndentedByTwo() {
        #expect(value.rendered() == "{\n  \"status\": \"ok\",\n  \"n\": 3,\n  \"list\": [false, null, 0.5],\n  \"nested\": {\n    \"q\": \"say \\\"hi\\\"\\n\"\n  }\n}")
    }
}
