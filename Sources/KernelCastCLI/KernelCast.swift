import ArgumentParser
import Foundation
import Service

@main
struct KernelCast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernelcast",
        abstract: "Hardware-model simulator and cost-model planner for GPU kernel candidates.",
        version: Version.current,
        subcommands: [MachinesCommand.self, PredictCommand.self, EvalCommand.self, BenchCommand.self, CalibrateCommand.self,
                      PlanCommand.self, LoopCommand.self, RefineCommand.self, ReplayCommand.self, WhatIfCommand.self,
                      CompareCommand.self, PortCommand.self, FusionCommand.self, ReportCommand.self, VerifyCommand.self, RunnerCommand.self, WorkerCommand.self,
                      MeasurementsCommand.self, StoreCommand.self,
                      ServeCommand.self, MCPCommand.self, APICommand.self]
    )

    /// Parses, then runs; each kind of failure ends the one way `Failure` says.
    static func main() async {
        let parsed: any ParsableCommand
        do { parsed = try parseAsRoot() } catch { Failure.exitOnUsage(error) }
        do {
            var command = parsed
            if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch {
            Failure.exitOnRun(error)
        }
    }
}
