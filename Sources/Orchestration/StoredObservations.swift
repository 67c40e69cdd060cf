import Foundation
import MachineModel
import Refinement
import Verifier
import Workloads

/// Verifications in the store as refinement's observations.
///
/// A verification made by `kernelcast loop` (or `verify` of a space or plan) names its space file as its origin
/// and its candidate as `space#index label`: the space is read again and the candidate rebuilt from its index, so
/// that refinement sees exactly the candidate the cost model predicted. Verifications of other origins (candidates
/// with their own source, list files) are counted and left out.
public enum StoredObservations {
    public struct Loaded {
        public var observations: [Observation]
        /// Passed verifications that could not be mapped back to a space candidate, with why.
        public var skipped: [String: Int]
        public var spaces: [String]
    }

    public static func load(_ store: VerificationStore, machine: String, device: String? = nil) throws(VerifierError) -> Loaded {
        let records = try store.records(machine: machine, device: device, verdict: .pass)
        var spaces: [String: CandidateSpace?] = [:]
        var observations: [Observation] = []
        var skipped: [String: Int] = [:]
        // The newest verification of each candidate counts.
        var latest: [String: VerificationRecord] = [:]
        for record in records { latest[record.fingerprint] = record }
        for record in latest.values.sorted(by: { ($0.id ?? 0) < ($1.id ?? 0) }) {
            guard let median = record.median, median > 0 else { continue }
            let parts = record.candidateID.split(separator: "#", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[1].split(separator: " ").first ?? "") else {
                skipped["not from a space file (its own source or a list)", default: 0] += 1
                continue
            }
            if spaces[record.origin] == nil {
                spaces[record.origin] = try? CandidateFile.load(path: record.origin)
            }
            guard let space = spaces[record.origin] ?? nil, space.name == String(parts[0]), index < space.count else {
                skipped["space file \(record.origin) missing or changed", default: 0] += 1
                continue
            }
            let candidate = space.candidate(at: index)
            observations.append(Observation(candidate: candidate, measured: median, shape: space.name, split: nil,
                                            source: "store: \(record.batch)"))
        }
        return Loaded(observations: observations, skipped: skipped, spaces: spaces.compactMap { $0.value?.name }.sorted())
    }
}
