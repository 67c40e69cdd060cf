import Devices
import Foundation
import MachineModel
import Testing
@testable import Verifier

/// CUDA C++ and PTX candidates: how their launches read, what the executor does with them on a device that builds
/// them (the scripted fake, here) or does not, and that NVRTC compiles every CUDA source of the suite.
@Suite struct CUDACandidateTests {
    static let cudaFolder = cheaterFolder.appendingPathComponent("cuda")
    static let planFolder = cheaterFolder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("plans/verify/cuda")

    /// Every CUDA and PTX candidate the project ships, as paths.
    static let candidateFiles: [String] = {
        let folders = [cudaFolder, planFolder]
        return folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
                .map { folder.appendingPathComponent($0).path }
        }
    }()

    @Test func theSuiteHasATwinOfEveryOpenCLCandidate() throws {
        let openCL = try FileManager.default.contentsOfDirectory(atPath: cheaterFolder.path).filter { $0.hasSuffix(".yaml") }
        let cuda = Set(try FileManager.default.contentsOfDirectory(atPath: Self.cudaFolder.path))
        #expect(openCL.count >= 17)
        #expect(openCL.filter { !cuda.contains($0) }.isEmpty)
    }

    @Test(arguments: candidateFiles)
    func everyCUDACandidateReads(_ path: String) throws {
        let candidate = try SourceCandidateFile.load(path: path)
        #expect(!candidate.launches.isEmpty)
        for launch in candidate.launches {
            #expect(["cuda", "ptx"].contains(launch.language), "\(path): \(launch.language)")
            #expect(launch.local != nil, "\(path): a CUDA launch always has a block")
        }
    }

    static func read(_ launch: String) throws(VerifierError) -> KernelLaunch {
        let text = """
            version: 1
            name: relu-cuda
            family: elementwise
            problem: {elements: 4096, ops: [relu], dtype: fp32}
            source:
              language: cuda
              text: 'extern "C" __global__ void relu(int n, const float* x, float* z) {}'
              kernel: relu
            \(launch)
              args: [N, X, Z]
            """
        return try SourceCandidateFile.parse(text, file: "relu.yaml").launches[0]
    }

    @Test func gridTimesBlockIsTheThreadCount() throws {
        let launch = try Self.read("  grid: [\"ceil_div(N, 64)\", 2]\n  block: [64, 1]\n  shared: 1024")
        let variables = ["N": 4096]
        #expect(try launch.global.map { try $0.evaluate(variables) } == [4096, 2])
        #expect(try launch.local?.map { try $0.evaluate(variables) } == [64, 1])
        #expect(launch.arguments.last == .local(try SizeExpression("1024")))
    }

    @Test(arguments: [
        ("  grid: [64]\n  global: [4096]\n  block: [64]", "relu.yaml:10:3: error: source.global: give grid (blocks) or global (threads), not both"),
        ("  grid: [64, 1]\n  block: [64]", "relu.yaml:9:3: error: source.grid: grid has 2 dimensions but block has 1"),
        ("  grid: [64]", "relu.yaml:6:3: error: source.block: a cuda launch needs block (threads per block per dimension)"),
    ])
    func malformedLaunchesSayWhatIsWrong(_ launch: String, _ expected: String) {
        #expect(throws: VerifierError.self) { try Self.read(launch) }
        do {
            _ = try Self.read(launch)
        } catch {
            #expect("\(error)" == expected)
        }
    }

    /// A CUDA device that computes nothing (reads give zeros): enough to see what the executor does before and
    /// after the build, not to pass a candidate.
    static func scripted(languages: [KernelLanguage]) -> InProcessRunner {
        let facts = KernelFacts(registersPerThread: 40, localBytesPerThread: 8, staticSharedBytes: 8448, maxThreadsPerBlock: 1024)
        let script = ScriptedDevice.Script(kernelTime: { _ in Seconds(base: 1e-5) }, languages: languages, kernelFacts: { _ in facts })
        return InProcessRunner(device: ScriptedDevice(info: ScriptedDevice.info(name: "Scripted CUDA GPU"), script: script))
    }

    static func outcome(_ file: String, on runner: InProcessRunner) throws -> RunOutcome {
        let candidate = try SourceCandidateFile.load(path: cudaFolder.appendingPathComponent(file).path)
        let plan = VerificationPolicy.quick.plan(for: candidate.problem, lastLevelCache: nil)
        return runner.runSynchronously(RunRequest(candidate: candidate, plan: plan, limits: TestDevice.generousLimits))
    }

    @Test func aDeviceWithoutCUDASaysSo() throws {
        let judgement = try Self.outcome("honest_row_sum.yaml", on: Self.scripted(languages: [.opencl])).judgement
        #expect(judgement.reason == .unsupported)
        #expect(judgement.message == "launch 1 is cuda; Scripted CUDA GPU builds opencl (a cuda device runs cuda and ptx; other languages need --runner-command)")
    }

    @Test func compilerFactsTravelWithTheJudgement() throws {
        let judgement = try Self.outcome("honest_row_sum.yaml", on: Self.scripted(languages: [.cuda, .ptx])).judgement
        let facts = try #require(judgement.compiler)
        #expect(facts.map(\.kernel) == ["row_sum_tree"])
        #expect(facts[0].candidateFormText == "{toolchain: cuda, registers_per_thread: 40, shared_bytes: 8448, spills: 2}")
    }

    @Test func cudaProgramStateIsRejectedBeforeTheBuild() throws {
        let judgement = try Self.outcome("program_state.yaml", on: Self.scripted(languages: [.cuda, .ptx])).judgement
        #expect(judgement.reason == .persistentState)
        #expect(judgement.message.hasPrefix("launch 1 (tanh_remembered): program_state.cu declares \"__device__ float results [ CAPACITY ]\""), "\(judgement.message)")
        #expect(judgement.message.hasSuffix("(use __constant__ or constexpr for tables and a declared scratch buffer for workspace)"))
    }

    /// Every CUDA source compiles with NVRTC for Hopper, and its PTX has the kernel the candidate names. Needs NVRTC
    /// (CI installs NVIDIA's nvidia-cuda-nvrtc wheel and sets KERNELCAST_REQUIRE_NVRTC=1); skipped where it is absent
    /// otherwise.
    @Test(arguments: candidateFiles)
    func nvrtcCompilesEveryCUDASource(_ path: String) throws {
        let compiler: NVRTCCompiler
        do {
            compiler = try NVRTCCompiler()
        } catch {
            if ProcessInfo.processInfo.environment["KERNELCAST_REQUIRE_NVRTC"] == "1" { Issue.record("NVRTC: \(error.description)") }
            return
        }
        let candidate = try SourceCandidateFile.load(path: path)
        for launch in candidate.launches where launch.language == "cuda" {
            let ptx = try compiler.compile(launch.source, name: launch.sourceName, architecture: "compute_90", options: launch.options)
            #expect(ptx.contains(".entry \(launch.kernel)("), "\(path): no entry \(launch.kernel) in the PTX")
        }
    }

    @Test func nvrtcReportsACompileErrorWithItsLog() throws {
        guard let compiler = try? NVRTCCompiler() else { return }
        #expect(throws: DeviceError.self) {
            try compiler.compile("extern \"C\" __global__ void k(float* y) { y[0] = undeclared; }", name: "broken.cu", architecture: "compute_90", options: "")
        }
        do {
            _ = try compiler.compile("extern \"C\" __global__ void k(float* y) { y[0] = undeclared; }", name: "broken.cu", architecture: "compute_90", options: "")
        } catch {
            #expect(error.buildLog?.contains("broken.cu(1): error: identifier \"undeclared\" is undefined") == true, "\(error.buildLog ?? "")")
        }
    }
}
