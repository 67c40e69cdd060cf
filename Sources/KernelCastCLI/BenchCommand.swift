import ArgumentParser
import CostModel
import Dispatch
import Foundation
import MachineModel
import Workloads

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks (build with -c release for figures worth recording).",
        subcommands: [Predict.self])

    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Predictions per second on one core over a GEMM space of about a million candidates.")
        @OptionGroup var machines: MachineOptions
        @Option(help: "Machine name or path to a machine file.") var machine = "h100-sxm"
        @Option(help: "A gemm candidate file to use instead of the built-in 1,036,800-candidate space.") var file: String?
        @Option(parsing: .unconditional, help: "Timed passes over the space; the best is reported.") var repeats = 3

        /// 6 x 6 x 5 x 6 x 10 x 6 x 8 x 2 = 1,036,800 schedules of a 4096^3 fp16 GEMM.
        static let builtIn = CandidateSpace(name: "bench-gemm-fp16-4096", body: .gemm(
            GemmProblem(m: 4096, n: 4096, k: 4096, dtype: .fp16),
            GemmAxes(blockM: [16, 32, 64, 128, 256, 512], blockN: [16, 32, 64, 128, 256, 512],
                     blockK: [16, 32, 64, 128, 256], warps: [1, 2, 4, 8, 16, 32], stages: Array(1...10),
                     groupM: [1, 2, 4, 8, 16, 32], splitK: [1, 2, 3, 4, 6, 8, 12, 16], matrixUnits: [true, false]),
            .none))

        func validate() throws {
            guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        }

        func run() throws {
            var space = Self.builtIn
            if let file {
                do { space = try CandidateFile.load(path: file) } catch {
                    printError(error.description)
                    throw ExitCode(1)
                }
            }
            guard case let .gemm(problem, axes, facts) = space.body else {
                throw ValidationError("bench predict needs a gemm space")
            }
            let model = CostModel(machine: try machines.machine(machine))
            let count = axes.count
            print("space \(space.name): \(count) candidates, machine \(model.machine.name), one thread")
            var bestRate = 0.0
            var bestCPURate = 0.0
            for pass in 1...max(1, repeats) {
                var feasible = 0
                var bestTime = Double.infinity
                var bestIndex = -1
                let start = DispatchTime.now().uptimeNanoseconds
                let cpuStart = threadCPUSeconds()
                for index in 0..<count {
                    let p = model.predict(gemm: problem, axes.schedule(at: index, compiler: facts))
                    if p.infeasibility == nil {
                        feasible += 1
                        if p.time.base < bestTime { bestTime = p.time.base; bestIndex = index }
                    }
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let cpu = threadCPUSeconds() - cpuStart
                let rate = Double(count) / seconds
                bestRate = max(bestRate, rate)
                bestCPURate = max(bestCPURate, Double(count) / cpu)
                let best = bestIndex >= 0 ? Candidate.gemm(problem, axes.schedule(at: bestIndex)).label : "-"
                print("pass \(pass): \(formatSignificant(seconds, digits: 3)) s wall, \(formatSignificant(cpu, digits: 3)) s CPU, "
                    + "\(formatSignificant(rate / 1e6, digits: 3))M predictions/s wall, \(formatSignificant(Double(count) / cpu / 1e6, digits: 3))M per CPU second "
                    + "(\(feasible) feasible; best \(best) at \(Seconds(base: bestTime)))")
            }
            print("best: \(formatSignificant(bestRate / 1e6, digits: 3))M predictions/s wall, "
                + "\(formatSignificant(bestCPURate / 1e6, digits: 3))M per CPU second of the benchmarking thread")
        }
    }
}

/// CPU time of the calling thread: on a shared machine, the rate per CPU second is what the code costs.
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
