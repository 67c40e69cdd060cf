import CostModel
import Foundation
import MachineModel
import Refinement
import Testing
import Workloads
@testable import Planner

@Suite struct WhatIfTests {
    @Test func doublingDeviceMemoryBandwidthHalvesAStreamingChain() throws {
        let space = try CandidateFile.load(path: repositoryPath("plans/examples/elementwise-chain.yaml"))
        let model = PlanModel(machine: try machine("h100-sxm"))
        let c = try WhatIf.compare(space, model: model, edits: [try MachineEdit(parsing: "hbm.bandwidth=x2")])
        let before = try #require(c.baseline), after = try #require(c.variant)
        #expect(before.prediction.bottleneck == .dram)
        let ratio = after.prediction.time.base / before.prediction.time.base
        #expect(ratio < 0.65 && ratio > 0.45, "ratio \(ratio)")
        #expect(c.changes.count == 1)
    }

    @Test func portsCarryTermsAsTheyAreAndFieldsAsRatios() throws {
        let h100 = try machine("h100-sxm"), h200 = try machine("h200-sxm")
        var refinement = Refinement(machine: "h100-sxm", created: "", sources: [], validation: "", machineFields: [], families: [:])
        refinement.machineFields = [FittedField(path: "memory.hbm.bandwidth", value: 3.35e12 * 0.9 * 0.95, unit: "B/s", previous: "",
                                                scale: 0.95, provenance: .measured(run: "refinement"))]
        refinement.families[.gemm] = FamilyRefinement(terms: ["overlap": 0.3], bands: .uncalibrated, before: nil, after: nil, accepted: true, note: "")
        let ported = Port.carry(refinement, from: h100, to: h200, widening: 1.5)
        #expect(ported.portedFrom == "h100-sxm")
        #expect(ported.families[.gemm]?.terms["overlap"] == 0.3)
        #expect(abs((ported.families[.gemm]?.bands.total.above ?? 0) - UncertaintyBand.uncalibrated.above * 1.5) < 1e-12)
        let hbm = try #require(ported.machineFields.first { $0.path == "memory.hbm.bandwidth" })
        // The H200's own 4.8 TB/s, derated as a spec figure, at the 95% the H100 reached.
        let model = PlanModel(machine: h200, refinement: ported)
        let effective = model.model(for: .elementwise).figures.dramBandwidthStated * Parameters.default.dramFraction
        #expect(abs(effective - 4.8e12 * 0.9 * 0.95) / effective < 1e-9)
        #expect(abs(hbm.scale - 0.95) < 1e-9)
        // The H200 states no latencies; the same architecture's are carried.
        #expect(ported.machineFields.contains { $0.path == "memory.hbm.latency" })
    }

    @Test func flashAttentionPaysInTheAttentionBlock() throws {
        let block = try BlockFile.parse(try String(contentsOfFile: repositoryPath("plans/blocks/attention-fp16.yaml"), encoding: .utf8),
                                        file: "attention-fp16.yaml")
        let report = Fusion.evaluate(block, model: PlanModel(machine: try machine("h100-sxm")))
        #expect(report.alternatives.count == 3)
        let naive = report.alternatives[0], flash = report.alternatives[1]
        #expect(flash.time < naive.time)
        #expect((flash.saving ?? 0) > 0)
        #expect(flash.launches < naive.launches)
        // The shared kernels (layernorm, projections) cancel: the saving is the attention kernels' difference.
        let naiveAttention = try #require(naive.kernels[2].best?.prediction.time.base)
        let flashAttention = try #require(flash.kernels[2].best?.prediction.time.base)
        #expect(abs((flash.saving ?? 0) - (naiveAttention - flashAttention)) < 1e-12)
    }
}

/// compare puts machines on the same footing: a figure only one datasheet states does not decide the ranking.
@Suite struct CompareAlikeTests {
    /// The H200 is an H100 with more and faster memory: it is never slower on a GEMM, and faster where memory binds.
    @Test(arguments: ["fp16", "bf16", "fp8"])
    func theH200IsAtLeastAsFastAsTheH100OnEveryGemm(_ dtype: String) throws {
        let (machines, aligned) = WhatIf.alike([try machine("h100-sxm"), try machine("h200-sxm")])
        #expect(aligned.contains("dram latency"))
        for (m, n, k) in [(4096, 4096, 4096), (8192, 8192, 8192), (1024, 1024, 1024), (128, 4096, 4096), (8192, 14336, 4096), (16, 8192, 8192)] {
            let space = try CandidateFile.parse("""
                version: 1
                name: g
                family: gemm
                problem: {m: \(m), n: \(n), k: \(k), dtype: \(dtype)}
                schedule: {block_m: [64, 128, 256], block_n: [64, 128, 256], block_k: [32, 64, 128], warps: [4, 8], stages: [2, 3, 4], group_m: 8}
                """, file: "g.yaml")
            let times = try machines.map { try #require(WhatIf.best(space, model: PlanModel(machine: $0))).prediction.time.base }
            #expect(times[1] <= times[0] * 1.0005, "\(m)x\(n)x\(k) \(dtype): H100 \(times[0]), H200 \(times[1])")
        }
    }

    @Test func theH200IsFasterWhereMemoryBinds() throws {
        let (machines, _) = WhatIf.alike([try machine("h100-sxm"), try machine("h200-sxm")])
        for file in ["plans/examples/elementwise-chain.yaml", "plans/examples/softmax-fp16.yaml"] {
            let space = try CandidateFile.load(path: repositoryPath(file))
            let times = try machines.map { try #require(WhatIf.best(space, model: PlanModel(machine: $0))).prediction.time.base }
            #expect(times[1] < 0.8 * times[0], "\(file): H100 \(times[0]), H200 \(times[1])")
        }
    }

    @Test func aSustainedRateOrDispatchIntervalOnlyOneMachineStatesIsSetAside() throws {
        let h100 = try MachineFile.load(path: repositoryPath(calibratedH100))
        let h200 = try MachineFile.load(path: repositoryPath(calibratedH200))
        #expect(h100.compute.sustainedMatrixRate != nil && h200.compute.sustainedMatrixRate == nil)
        #expect(h100.compute.blockDispatchInterval != nil && h200.compute.blockDispatchInterval == nil)
        let (machines, aligned) = WhatIf.alike([h100, h200])
        #expect(aligned.contains("sustained matrix rate") && aligned.contains("block dispatch interval"))
        #expect(machines.allSatisfy { $0.compute.sustainedMatrixRate == nil && $0.compute.blockDispatchInterval == nil })
    }

    @Test func machinesThatStateTheSameFiguresAreLeftAsTheyAre() throws {
        let h100 = try machine("h100-sxm")
        let (machines, aligned) = WhatIf.alike([h100, h100])
        #expect(aligned.isEmpty)
        #expect(machines == [h100, h100])
    }
}
