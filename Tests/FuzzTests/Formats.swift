import Calibration
import CostModel
import Foundation
import MachineModel
import Planner
import Refinement
import Service
import Verifier
import Workloads

/// The repository root, three folders above this file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// One input format: its committed seeds, a few generated documents, and what the product does with an input,
/// from the bytes on disk to the last step that reads its values.
struct Format: Sendable {
    struct Seed: Sendable {
        var name: String
        var bytes: [UInt8]
    }

    var name: String
    var fileExtension: String
    var seeds: [Seed]
    /// Structurally valid but extreme documents, beside the mutants of the seeds.
    var generated: [Seed] = []
    /// Reads the input written at `path`; `seed` names the seed it came from. Throws the product's error.
    var run: @Sendable (_ path: String, _ seed: String) async throws -> Void
}

/// The committed files of a folder whose names end in one of `extensions`, smaller than a megabyte.
func seeds(_ folder: String, _ extensions: [String] = ["yaml"], only names: [String]? = nil) -> [Format.Seed] {
    let url = URL(fileURLWithPath: repositoryRoot).appendingPathComponent(folder)
    let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return files.sorted().compactMap { name in
        guard extensions.contains(where: { name.hasSuffix("." + $0) }), names?.contains(name) ?? true,
              let data = FileManager.default.contents(atPath: url.appendingPathComponent(name).path), data.count < 1 << 20
        else { return nil }
        return Format.Seed(name: folder + "/" + name, bytes: Array(data))
    }
}

/// The shipped H100: candidates, refinements and imports are read against it.
let h100: Machine = try! MachineFile.load(path: repositoryRoot + "/machines/h100-sxm.yaml")
let h200: Machine = try! MachineFile.load(path: repositoryRoot + "/machines/h200-sxm.yaml")

/// A small GEMM and elementwise space every machine that validates must predict without crashing.
let probeCandidates: [Workloads.Candidate] = {
    let gemm = """
        version: 1
        name: probe-gemm
        family: gemm
        problem: {m: 48, n: 40, k: 32, dtype: fp16}
        schedule: {block_m: [16, 64], block_n: [16, 128], block_k: [16, 64], warps: [1, 4], stages: [1, 3]}
        """
    let elementwise = """
        version: 1
        name: probe-elementwise
        family: elementwise
        problem: {elements: 16777216, ops: 4, dtype: fp32}
        schedule: {fused: [true, false], block_elements: [256, 4096], warps: [4, 8]}
        """
    return [gemm, elementwise].flatMap { text in Array(try! CandidateFile.parse(text, file: "probe").candidates) }
}()

/// How many candidates of a space are predicted: the first ones by index, enough to reach every schedule key.
let predictedPerSpace = 50

let formats: [Format] = [
    Format(name: "machine", fileExtension: "yaml",
           seeds: seeds("machines") + seeds("calibration/hosts") + seeds("calibration/results/h100-sxm")
               + seeds("calibration/results/h200-sxm") + seeds("calibration/results/host-amd-epyc-2c")
               + seeds("Tests/CostModelTests/Fixtures") + seeds("Tests/PlannerTests/Fixtures", only: ["h100-planner-fixture.yaml"])) { path, _ in
        let machine = try MachineFile.parse(TextFile.read(path), file: path)
        let model = CostModel(machine: machine)
        for candidate in probeCandidates { _ = model.predict(candidate) }
    },
    Format(name: "candidate", fileExtension: "yaml",
           seeds: seeds("plans/examples", ["yaml", "json"], only: ["gemm-fp16-4096.yaml", "softmax-fp16.yaml", "layernorm-fp16.yaml", "elementwise-chain.yaml",
                                                                    "generic-stencil.yaml", "attention-causal.json", "attention-warp-specialised.yaml"])
               + seeds("plans/h100") + seeds("plans/pocl") + seeds("plans/bench")
               + seeds("Tests/PlannerTests/Fixtures", only: ["tiny-sgemm.yaml", "stream-variants.yaml"]),
           generated: [Format.Seed(name: "generated: seven schedule keys of 1,000 values", bytes: Array(wideSchedule.utf8))]) { path, _ in
        let space = try CandidateFile.parse(TextFile.read(path), file: path)
        let model = CostModel(machine: h100)
        for index in 0..<min(space.count, predictedPerSpace) { _ = model.predict(space.candidate(at: index)) }
    },
    Format(name: "measurements", fileExtension: "json",
           seeds: seeds("plans/examples", ["json"], only: ["measured-h100.json"])
               + seeds("calibration/measurements/h100-sxm/inflight", ["json"])) { path, _ in
        _ = try MeasurementsFile.parse(TextFile.read(path), file: path)
    },
    Format(name: "refinement", fileExtension: "json", seeds: seeds("calibration/results/h100-sxm", ["json"], only: ["refinement.json"])) { path, _ in
        _ = try RefinementFile.parse(TextFile.read(path), file: path)
    },
    Format(name: "block", fileExtension: "yaml", seeds: seeds("plans/blocks", only: ["mlp-fp16.yaml", "attention-fp16.yaml"])) { path, _ in
        _ = try BlockFile.parse(TextFile.read(path), file: path)
    },
    Format(name: "graph", fileExtension: "yaml", seeds: seeds("plans/blocks", only: ["mlp-graph.yaml"])) { path, _ in
        _ = try GraphFile.parse(TextFile.read(path), file: path)
    },
    Format(name: "trace", fileExtension: "json", seeds: seeds("calibration/measurements/h200-sxm/fusion", ["json"], only: ["eager_block_trace.json"])) { path, _ in
        _ = try ProfilerTrace.parse(TextFile.read(path), file: path, name: "fuzz")
    },
    Format(name: "calibration-import", fileExtension: "json",
           seeds: seeds("calibration/measurements/h100-sxm", ["json"], only: ["tensor-rates.json"])
               + seeds("calibration/measurements/h200-sxm/calibration", ["json"], only: ["tensor_rates.json"])
               + seeds("calibration/measurements/h200-sxm/fusion", ["json"], only: ["op_costs_import.json"])) { path, _ in
        _ = try CalibrationImport.load(path: path).fits(for: h100)
    },
    Format(name: "calibration-run", fileExtension: "json",
           seeds: seeds("calibration/results/h200-sxm", ["json"], only: ["cal-h200-sxm-20261204-190552.json"])) { path, _ in
        _ = try CalibrationRefit.refit(TextFile.read(path), file: path, spec: h200)
    },
    // The seed's own path is the file named to the parser, so `file: race.cl` resolves beside the committed YAML.
    Format(name: "source-candidate", fileExtension: "yaml", seeds: seeds("Tests/VerifierTests/Cheaters")) { path, seed in
        _ = try SourceCandidateFile.parse(TextFile.read(path), file: repositoryRoot + "/" + seed)
    },
    Format(name: "service-request", fileExtension: "json", seeds: serviceRequests) { path, seed in
        let body = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        let operation: APIOperation = seed.hasPrefix("bound") ? .bound : .predict
        _ = try await service.perform(operation, body: body)
    },
]

/// Seven schedule keys of a thousand values each: 10^21 candidates, refused where the file is read.
let wideSchedule: String = {
    let list = "[" + (1...1000).map(String.init).joined(separator: ", ") + "]"
    return """
        version: 1
        name: wide
        family: gemm
        problem: {m: 4096, n: 4096, k: 4096, dtype: fp16}
        schedule: {block_m: \(list), block_n: \(list), block_k: \(list), warps: \(list), stages: \(list), group_m: \(list), split_k: \(list)}
        """
}()

/// Request bodies of the service's pure operations, as its tests send them; the name picks the operation.
let serviceRequests: [Format.Seed] = [
    ("predict-batch", """
        {"machine": "h200-sxm", "family": "gemm", "problem": {"m": 4096, "n": 4096, "k": 4096, "dtype": "fp16"},
         "schedules": [{"block_m": 128, "block_n": 256, "block_k": 64, "warps": 8, "stages": 3, "group_m": 8},
                       {"block_m": 64, "block_n": 64, "block_k": 32, "warps": 4, "stages": 2}]}
        """),
    ("predict-space", """
        {"machine": "h100-sxm", "top": 3, "space": {"version": 1, "name": "g", "family": "gemm",
         "problem": {"m": 4096, "n": 4096, "k": 4096, "dtype": "fp16"},
         "schedule": {"block_m": [64, 128, 256], "block_n": [64, 128], "block_k": [32, 64], "warps": [4, 8], "stages": [3, 4]}}}
        """),
    ("bound-elementwise", #"{"machine": "h200-sxm", "family": "elementwise", "problem": {"elements": 67108864, "ops": 3, "dtype": "fp32"}}"#),
    ("bound-attention", #"{"machine": "h100-sxm", "family": "attention", "problem": {"batch": 4, "heads": 16, "seq_len": 2048, "head_dim": 64, "dtype": "fp16", "causal": true}}"#),
].map { Format.Seed(name: $0.0, bytes: Array($0.1.utf8)) }

/// One service over the repository's machines; requests that need the store are not fuzzed.
let service: KernelCastService = try! KernelCastService(configuration: .init(
    machinesDirectory: repositoryRoot + "/machines",
    storePath: FileManager.default.temporaryDirectory.appendingPathComponent("kernelcast-fuzz-\(getpid()).sqlite").path,
    version: "fuzz"))
