import CostModel
import Foundation
import MachineModel
import Refinement
import Testing
import Workloads
@testable import Planner

/// Issue 13's promise on each machine with both files: on its held-out spaces the calibrated machine scores at least
/// as well as its datasheet, family by family, on mean Spearman, mean top-5 regret and pooled MAPE (the model's own
/// terms, no refinement, as `kernelcast eval` scores them). A difference smaller than the measurement can tell apart
/// counts as equal: 0.005 of Spearman, 0.1 points of regret or of MAPE. Where it does not hold yet, the case is a known
/// issue by name, so that one which starts holding is noticed as well as one that stops.
@Suite struct CalibrationPaysTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var datasheet: String
        var calibrated: String
        var measurements: String
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "h100", datasheet: "machines/h100-sxm.yaml",
             calibrated: calibratedH100,
             measurements: "calibration/measurements/h100-sxm/triton-spaces.json"),
        Case(name: "h200", datasheet: "machines/h200-sxm.yaml",
             calibrated: calibratedH200,
             measurements: "calibration/measurements/h200-sxm/holdout/triton-spaces-holdout.json"),
    ]

    /// "machine family figure" where the calibrated machine still scores worse (docs/accuracy.md has the numbers).
    static let known: Set<String> = [
        "h100 gemm mape", "h100 reduction mape", "h200 gemm spearman", "h200 attention mape", "h200 attention top5",
    ]

    @Test(arguments: cases)
    func calibratedScoresAtLeastAsWellAsTheDatasheet(_ c: Case) throws {
        let spaces = try MeasurementsFile.load(path: repositoryPath(c.measurements)).spaces.filter { $0.split == .holdout }
        let datasheet = PlanModel(machine: try MachineFile.load(path: repositoryPath(c.datasheet)))
        let calibrated = PlanModel(machine: try MachineFile.load(path: repositoryPath(c.calibrated)))
        #expect(!spaces.isEmpty)
        for family in Family.allCases {
            let members = spaces.filter { $0.family == family }
            guard !members.isEmpty else { continue }
            let before = EvaluationSummary(members.map { Evaluation.score($0, model: datasheet.model(for: family)) })
            let after = EvaluationSummary(members.map { Evaluation.score($0, model: calibrated.model(for: family)) })
            let checks: [(String, Double?, Double?, Double)] = [
                ("spearman", after.meanSpearman.map { -$0 }, before.meanSpearman.map { -$0 }, 0.005),
                ("top5", after.meanTop5Regret, before.meanTop5Regret, 0.001),
                ("mape", after.mape, before.mape, 0.001),
            ]
            for (figure, calibratedFigure, datasheetFigure, tolerance) in checks {
                guard let worse = calibratedFigure, let better = datasheetFigure else { continue }
                let label = "\(c.name) \(family.rawValue) \(figure)"
                withKnownIssue(Comment(rawValue: label)) {
                    #expect(worse <= better + tolerance, "\(label): calibrated \(abs(worse)), datasheet \(abs(better))")
                } when: { Self.known.contains(label) }
            }
        }
    }
}
