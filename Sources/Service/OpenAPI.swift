import MachineModel

/// The OpenAPI 3.1 document of the HTTP API, made from the operation catalog (served at /openapi.json and
/// committed as docs/openapi.json; a test keeps the two equal).
public enum OpenAPI {
    public static func document(version: String) -> JSONValue {
        var paths: [(String, JSONValue)] = []
        for path in uniquePaths() {
            var methods: [(String, JSONValue)] = []
            for operation in APIOperation.allCases where operation.path == path {
                methods.append((operation.method.rawValue.lowercased(), describe(operation)))
            }
            paths.append((path, .object(methods)))
        }
        paths.append(("/openapi.json", .object([("get", .object([
            ("operationId", .string("openapi")), ("summary", .string("This document.")),
            ("responses", .object([("200", .object([("description", .string("The OpenAPI document.")),
                                                    ("content", .object([("application/json", .object([("schema", .object([("type", .string("object"))]))]))]))]))])),
        ]))])))
        return .object([
            ("openapi", .string("3.1.0")),
            ("info", .object([("title", .string("KernelCast API")), ("version", .string(version)),
                              ("description", .string("Predict, plan, explain and verify GPU kernel candidates (docs/api.md)."))])),
            ("servers", .array([.object([("url", .string("http://127.0.0.1:8471"))])])),
            ("paths", .object(paths)),
            ("components", .object([
                ("schemas", .object([("Error", errorSchema)])),
                ("securitySchemes", .object([("bearer", .object([("type", .string("http")), ("scheme", .string("bearer"))]))])),
            ])),
            ("security", .array([.object([]), .object([("bearer", .array([]))])])),
        ])
    }

    static func uniquePaths() -> [String] {
        var seen: [String] = []
        for operation in APIOperation.allCases where !seen.contains(operation.path) { seen.append(operation.path) }
        return seen
    }

    static let errorSchema: JSONValue = .object([
        ("type", .string("object")), ("required", .array(["code", "message", "remedy"].map(JSONValue.string))),
        ("properties", .object([
            ("code", .object([("type", .string("string")), ("enum", .array(ServiceError.Code.allCases.map { .string($0.rawValue) }))])),
            ("message", .object([("type", .string("string"))])), ("remedy", .object([("type", .string("string"))])),
        ])),
    ])

    static func describe(_ operation: APIOperation) -> JSONValue {
        let error: JSONValue = .object([("description", .string("{code, message, remedy}")),
                                        ("content", .object([("application/json", .object([("schema", .object([("$ref", .string("#/components/schemas/Error"))]))]))]))])
        var responses: [(String, JSONValue)] = [
            ("200", .object([("description", .string("The answer (docs/api.md).")),
                             ("content", .object([("application/json", .object([("schema", .object([("type", .string("object"))]))]))]))])),
        ]
        let statuses = operation.method == .get ? ["401", "404"] : ["400", "401", "404", "413", "422", "500"]
        for status in statuses { responses.append((status, error)) }
        var pairs: [(String, JSONValue)] = [("operationId", .string(operation.rawValue)), ("summary", .string(operation.summary))]
        if let name = operation.pathParameter {
            var parameter: [(String, JSONValue)] = [("name", .string(name)), ("in", .string("path")), ("required", .bool(true)),
                                                    ("schema", .object([("type", .string("string"))]))]
            if operation == .machine { parameter.append(("example", .string("h200-sxm"))) }
            pairs.append(("parameters", .array([.object(parameter)])))
        }
        if operation.method == .post {
            var media: [(String, JSONValue)] = [("schema", operation.inputSchema)]
            if let example = operation.example { media.append(("example", example)) }
            pairs.append(("requestBody", .object([("required", .bool(true)),
                                                  ("content", .object([("application/json", .object(media))]))])))
        }
        pairs.append(("responses", .object(responses)))
        return .object(pairs)
    }
}
