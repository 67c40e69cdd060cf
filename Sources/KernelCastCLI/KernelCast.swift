import ArgumentParser
import Service

@main
struct KernelCast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernelcast",
        abstract: "Hardware-model simulator and cost-model planner for GPU kernel candidates.",
        version: Version.current,
        subcommands: [MachinesCommand.self, PredictCommand.self, EvalCommand.self, BenchCommand.self, CalibrateCommand.self,
                      PlanCommand.self, LoopCommand.self, RefineCommand.self, ReplayCommand.self, WhatIfCommand.self,
                      CompareCommand.self, PortCommand.self, FusionCommand.self, ReportCommand.self, VerifyCommand.self, RunnerCommand.self, MeasurementsCommand.self,
                      ServeCommand.self, MCPCommand.self, APICommand.self]
    )
}
