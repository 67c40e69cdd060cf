import Foundation

/// The benchmarks of the suite, in the order they run.
public enum BenchmarkID: String, CaseIterable, Sendable, Hashable, Codable {
    case launchOverhead = "launch-overhead"
    case stream
    case pointerChase = "pointer-chase"
    case cacheSweep = "cache-sweep"
    case localMemory = "local-memory"
    case peakArithmetic = "peak-arithmetic"
    case hostTransfer = "host-transfer"
    case elementOps = "element-ops"

    /// What the benchmark measures, for progress lines and summaries.
    public var title: String {
        switch self {
        case .launchOverhead: "launch overhead (empty kernel)"
        case .stream: "device-memory bandwidth (read, write, copy, triad)"
        case .cacheSweep: "working-set sweep (cache capacities and bandwidths)"
        case .pointerChase: "pointer-chase latency per level"
        case .localMemory: "local-memory bandwidth"
        case .peakArithmetic: "peak arithmetic per precision"
        case .hostTransfer: "host-to-device and device-to-host bandwidth"
        case .elementOps: "cost of named elementwise ops (issue slots per element)"
        }
    }

    /// Parses a comma-separated list (`stream,cache-sweep`), returned in suite order.
    public static func parseList(_ text: String) throws(CalibrationError) -> [BenchmarkID] {
        var ids: [BenchmarkID] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let id = BenchmarkID(rawValue: name) else {
                throw CalibrationError(.benchmarkFailed(name),
                    "no benchmark named \"\(name)\"; expected one of \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !ids.contains(id) { ids.append(id) }
        }
        return allCases.filter { ids.contains($0) }
    }
}
