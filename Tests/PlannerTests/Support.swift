import Foundation
import MachineModel
import Planner
import Workloads

/// The repository root, for the committed machines and measurements.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func repositoryPath(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

func machine(_ name: String) throws -> Machine { try MachineFile.load(path: repositoryPath("machines/\(name).yaml")) }

/// The last file of each machine's calibration chain, the calibrated machines the tests score (a new import replaces
/// them here alone).
let calibratedH100 = "calibration/results/h100-sxm/cal-h100-sxm-20261207-114821.yaml"
let calibratedH200 = "calibration/results/h200-sxm/cal-h200-sxm-20261207-112119.yaml"

/// The committed H100 Triton measurements (parsed once per process).
let h100Measurements: Result<Measurements, FormatError> = Result { () throws(FormatError) -> Measurements in
    try MeasurementsFile.load(path: repositoryPath("calibration/measurements/h100-sxm/triton-spaces.json"))
}
