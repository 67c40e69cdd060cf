import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DeviceSuites {
    /// From another host's address (a network namespace joined to this one by a veth pair, 198.51.100.0/30 of the
    /// documentation range), a request without the token is refused by the runner and by the API; with it, served.
    @Suite(.serialized, .enabled(if: getuid() == 0, "network namespaces need root (CI runs as root)")) struct NetworkNamespaceTests {
        /// A namespace `peer` at 198.51.100.2, reaching this host at 198.51.100.1; removed (with its veth pair) by `remove()`.
        final class Peer {
            let name = "kc\(UInt32.random(in: 0...0xFFFFFF))"
            let hostAddress = "198.51.100.1"

            init() throws {
                try Self.ip(["netns", "add", name])
                try Self.ip(["link", "add", "\(name)a", "type", "veth", "peer", "name", "\(name)b", "netns", name])
                try Self.ip(["addr", "add", "\(hostAddress)/30", "dev", "\(name)a"])
                try Self.ip(["link", "set", "\(name)a", "up"])
                try Self.ip(["-n", name, "addr", "add", "198.51.100.2/30", "dev", "\(name)b"])
                try Self.ip(["-n", name, "link", "set", "\(name)b", "up"])
                try Self.ip(["-n", name, "link", "set", "lo", "up"])
            }

            func remove() { _ = try? Self.ip(["netns", "delete", name]) }

            /// The HTTP status of a GET from inside the namespace.
            func status(_ url: String, token: String?) throws -> String {
                var arguments = ["netns", "exec", name, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20"]
                if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
                return try Self.ip(arguments + [url])
            }

            @discardableResult
            static func ip(_ arguments: [String]) throws -> String {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
                process.arguments = arguments
                let output = Pipe()
                process.standardOutput = output
                process.standardError = output
                try process.run()
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                guard process.terminationStatus == 0 else {
                    throw NSError(domain: "ip", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "ip \(arguments.joined(separator: " ")): \(text)"])
                }
                return text
            }
        }

        @Test func theRunnerAndTheAPIRefuseARequestWithoutTheTokenFromAnotherHost() throws {
            let peer = try Peer()
            defer { peer.remove() }
            let token = "0123456789abcdef0123456789abcdef"

            let runner = try ChildProcess(["runner", "serve", "--bind", "\(peer.hostAddress):0", "--device", "opencl:0"],
                                          environment: ["KERNELCAST_RUNNER_TOKEN": token])
            defer { runner.kill9() }
            let runnerURL = try #require(url(from: runner, after: "listening on "), "\(runner.output) \(runner.standardError)")
            #expect(runnerURL.hasPrefix("http://\(peer.hostAddress):"))
            #expect(try peer.status("\(runnerURL)/v1/device", token: nil) == "401")
            #expect(try peer.status("\(runnerURL)/v1/device", token: "wrong-token-wrong-token") == "401")
            #expect(try peer.status("\(runnerURL)/v1/device", token: token) == "200")

            let tokenFile = temporaryFolder("api-token").appendingPathComponent("token")
            try token.write(to: tokenFile, atomically: true, encoding: .utf8)
            let api = try ChildProcess(["serve", "--host", peer.hostAddress, "--port", "0", "--token-file", tokenFile.path])
            defer { api.kill9() }
            let apiURL = try #require(url(from: api, after: "listening on "), "\(api.output) \(api.standardError)")
            #expect(try peer.status("\(apiURL)/v1/machines", token: nil) == "401")
            #expect(try peer.status("\(apiURL)/v1/machines", token: token) == "200")
        }

        func url(from child: ChildProcess, after marker: String) -> String? {
            guard child.wait(timeout: 60, until: { $0.contains { $0.contains(marker) } }),
                  let line = child.output.first(where: { $0.contains(marker) }),
                  let start = line.range(of: "http://") else { return nil }
            return String(line[start.lowerBound...].prefix { $0 != " " })
        }
    }
}
