import Foundation
import MachineModel
import Workloads

/// The repository root, for the committed machines, measurements and refinements.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func repositoryPath(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

func machine(_ name: String) throws -> Machine { try MachineFile.load(path: repositoryPath("machines/\(name).yaml")) }

/// The committed H100 Triton measurements (parsed once per process).
let h100Measurements: Result<Measurements, FormatError> = Result { () throws(FormatError) -> Measurements in
    try MeasurementsFile.load(path: repositoryPath("calibration/measurements/h100-sxm/triton-spaces.json"))
}
