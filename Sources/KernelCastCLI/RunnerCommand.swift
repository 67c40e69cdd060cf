import ArgumentParser
import Foundation
import Verifier

struct RunnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Serve this host's device to remote verifiers, or answer one runner request.",
        subcommands: [Serve.self, Exec.self])

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Expose the in-process runner over HTTP (loopback unless --bind says otherwise; a shared token is required).",
            discussion: "Clients run `kernelcast verify INPUT --runner http://HOST:PORT --token-file FILE --machine NAME`.")
        @Option(help: "Address and port to listen on; 0.0.0.0:PORT listens on every interface.") var bind = "127.0.0.1:8765"
        @OptionGroup var token: RunnerTokenOption
        @Option(help: "OpenCL device: opencl:P:D, opencl:N or part of its name.") var device = "opencl:0"
        @Option(name: .customLong("candidate-timeout"), parsing: .unconditional, help: "Seconds one candidate's child process may run before it is killed.")
        var candidateTimeout: Double = 600
        @Flag(name: .customLong("in-process"), help: "Run candidates in this process (faster; a crashing or hanging kernel takes the runner down).")
        var inProcess = false

        func validate() throws {
            guard candidateTimeout > 0 else { throw ValidationError("--candidate-timeout must be above 0 seconds") }
        }

        func run() throws {
            let parts = bind.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else {
                throw ValidationError("--bind takes ADDRESS:PORT, such as 127.0.0.1:8765")
            }
            guard let token = try token.resolve() else {
                throw ValidationError("the runner needs a shared token: pass --token-file FILE or set KERNELCAST_RUNNER_TOKEN")
            }
            let runner = try InProcessRunner(selector: device)
            // Rule: untrusted kernels run in a child with a deadline, where they can only hurt themselves.
            let isolation = inProcess ? nil : try ExternalCommandRunner(
                command: [currentExecutable(), "runner", "exec", "--device", device], timeout: candidateTimeout, isolating: true)
            let service = try RunnerService(runner: runner, isolation: isolation, token: token, host: String(parts[0]), port: port)
            try service.bind()
            let info = runner.executor.description
            FileHandle.standardOutput.write(Data("kernelcast runner listening on \(service.url) for \(info.name) (\(info.id), driver \(info.driver))\n".utf8))
            service.serve()
        }
    }

    struct Exec: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read one runner request (JSON) on standard input and write the answer on standard output.",
            discussion: "The protocol an external runner speaks (docs/verifier.md); verify --isolate runs candidates through it.")
        @Option(help: "OpenCL device: opencl:P:D, opencl:N or part of its name.") var device = "opencl:0"

        func run() throws {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            let runner = try InProcessRunner(selector: device)
            let answer = try ExternalProtocolHandler.answer(input, executor: runner.executor)
            FileHandle.standardOutput.write(answer)
        }
    }
}
