import Foundation
import Testing
@testable import Verifier

/// `kernelcast verify`, `runner` and `measurements` as a user runs them, with their exact output.
extension DeviceSuites {
    @Suite(.serialized) struct CommandLineTests {
        static let machine = repositoryRoot.appendingPathComponent("machines/amd-epyc-9654.yaml").path

        @Test func rejectedScheduleIsStoredWithItsReason() throws {
            let folder = temporaryFolder("cli")
            let list = folder.appendingPathComponent("one.txt")
            let store = folder.appendingPathComponent("store.sqlite").path
            try "gemm m=64 n=64 k=64 block_m=48 block_n=48 block_k=16 warps=8 vector_width=4\n".write(to: list, atomically: true, encoding: .utf8)
            let child = try ChildProcess(["verify", list.path, "--machine", Self.machine, "--store", store])
            #expect(child.finish() == 0)
            var lines = child.output
            #expect(lines.count == 5, "\(lines)")
            guard lines.count == 5 else { return }
            #expect(lines[0] == "list \(list.path) on amd-epyc-9654; store \(store)")
            #expect(lines[1].hasPrefix("speed-of-light bound: amd-epyc-9654 as stated: ") && lines[1].contains(" has no calibration in the store"), "\(lines[1])")
            lines.remove(at: 1)
            #expect(lines[1].hasPrefix("verifying 1 of 1 candidates on ") && lines[1].hasSuffix(" via in-process"))
            #expect(lines[2] == "[1/1] REJECT  gemm m=64 n=64 k=64 block_m=48 block_n=48 block_k=16 warps=8 vector_width=4: invalid_schedule: no split of 256 threads (8 warps) fits block 48x48 with vector width 4: block_m must be a multiple of the threads along M and block_n of the threads along N times the vector width  (stored #1)")
            #expect(lines[3] == "0 passed, 1 rejected, 0 not run")

            let csv = try ChildProcess(["measurements", "export", "--format", "csv", "--store", store])
            #expect(csv.finish() == 0)
            #expect(csv.output.first == MeasurementRow.csvHeader)
            #expect(csv.output.count == 2)
            #expect(csv.output.last?.contains(",reject,invalid_schedule,") == true)

            let table = try ChildProcess(["measurements", "list", "--store", store, "--verdict", "reject"])
            #expect(table.finish() == 0)
            #expect(table.output.first?.hasPrefix("ID  CANDIDATE") == true)
            #expect(table.output.last == "1 verifications")
        }

        @Test func userErrorsAreSentences() throws {
            let noToken = try ChildProcess(["runner", "serve", "--bind", "127.0.0.1:0"], environment: ["KERNELCAST_RUNNER_TOKEN": ""])
            #expect(noToken.finish() != 0)
            #expect(noToken.standardError.contains("error: the runner needs a shared token: pass --token-file FILE or set KERNELCAST_RUNNER_TOKEN"))

            let missing = try ChildProcess(["verify", "no-such-file.yaml", "--machine", Self.machine, "--store", "/tmp/kc-unused.sqlite"])
            #expect(missing.finish() == 1)
            #expect(missing.standardError == "no-such-file.yaml: error: cannot read the file: No such file or directory\n")

            let remoteWithoutToken = try ChildProcess(["verify", "x.yaml", "--machine", Self.machine, "--runner", "http://127.0.0.1:9"], environment: ["KERNELCAST_RUNNER_TOKEN": ""])
            #expect(remoteWithoutToken.finish() != 0)
            #expect(remoteWithoutToken.standardError.contains("--runner needs the runner's shared token: pass --token-file FILE or set KERNELCAST_RUNNER_TOKEN"))
        }
    }
}
