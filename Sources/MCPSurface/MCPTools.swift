import Foundation
import MachineModel
import MCP
import Service

/// The service's operations as MCP tools: the same input schemas as the HTTP API, answered in short text.
public enum MCPTools {
    /// An MCP server whose tools call `service`; start it on any transport (stdio, streamable HTTP).
    public static func server(_ service: KernelCastService) async -> Server {
        let server = Server(
            name: "kernelcast", version: service.configuration.version,
            instructions: "KernelCast predicts GPU kernel candidates' times on machine models, plans which to verify on hardware, and verifies them. Start with machines, then predict or plan; explain says what bounds a candidate and what to try next.",
            capabilities: .init(tools: .init(listChanged: false)))
        let tools = APIOperation.allCases.filter(\.isTool).map { operation in
            Tool(name: operation.rawValue, description: operation.summary, inputSchema: value(operation.inputSchema))
        }
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools) }
        await server.withMethodHandler(CallTool.self) { params in
            guard let operation = APIOperation(rawValue: params.name), operation.isTool else {
                return CallTool.Result(content: [.text(text: "error: no tool \"\(params.name)\"; tools: \(tools.map(\.name).joined(separator: ", "))", annotations: nil, _meta: nil)], isError: true)
            }
            let body: String
            do {
                let data = try JSONEncoder().encode(params.arguments ?? [:])
                body = String(decoding: data, as: UTF8.self)
            } catch {
                return CallTool.Result(content: [.text(text: "error: the arguments are not JSON: \(error)", annotations: nil, _meta: nil)], isError: true)
            }
            do {
                let result = try await service.perform(operation, body: body)
                return CallTool.Result(content: [.text(text: Summary.text(operation, result), annotations: nil, _meta: nil)], isError: false)
            } catch {
                return CallTool.Result(content: [.text(text: String(describing: error), annotations: nil, _meta: nil)], isError: true)
            }
        }
        return server
    }

    /// Serves MCP on standard input and output until the client closes them.
    public static func runStdio(_ service: KernelCastService) async throws {
        let server = await server(service)
        try await server.start(transport: StdioTransport())
        await server.waitUntilCompleted()
    }

    static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: return .null
        case let .bool(b): return .bool(b)
        case let .number(x): return x == x.rounded() && abs(x) < 1e15 ? .int(Int(x)) : .double(x)
        case let .string(s): return .string(s)
        case let .array(items): return .array(items.map(value))
        case let .object(pairs): return .object(Dictionary(pairs.map { ($0.0, value($0.1)) }, uniquingKeysWith: { $1 }))
        }
    }
}
