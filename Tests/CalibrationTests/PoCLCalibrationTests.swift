import Devices
import Foundation
import MachineModel
import Store
import Testing
@testable import Calibration

/// The quick suite on the first real OpenCL device (PoCL's CPU device here), against the machine file `machines
/// detect` drafts from hwloc for this host. hwloc states no bandwidth, so the test adds an upper bound as the spec:
/// twelve channels of DDR5-6400 per package (614.4 GB/s), more than any server socket has.
///
/// The checks are for physical plausibility, not precision. A CPU device shares its cores and caches with whatever
/// else runs (a parallel build, the other tests, another guest on a hyperthread sibling): a run whose figures fail
/// the checks is repeated once, and the second run's problems are the test's. When the host is busy (load average
/// above its hardware threads), the cache checks (sizes, and the order of the levels' latencies) are reported as a
/// known, intermittent issue: the caches are then really smaller, and slower, for this process.
@Suite(.serialized) struct PoCLCalibrationTests {
    static func hostMachine() throws -> (Machine, HostTopology) {
        let topology = try HostTopology.read()
        var machine = MachineDraft.host(topology).machine
        machine.sources.append(SourceDocument(id: "bound", title: "12 x DDR5-6400 per package: an upper bound for any server socket"))
        let index = try #require(machine.memory.firstIndex { $0.kind == .dram })
        machine.memory[index].bandwidth = Sourced(BytesPerSecond(base: 614.4e9 * Double(topology.packageCount)), .spec(source: "bound"))
        machine.unknown.removeAll { $0 == "memory.dram.bandwidth" }
        return (try MachineFile.parse(MachineFile.write(machine), file: "host.yaml"), topology)
    }

    /// What is implausible about a run's calibrated machine: in general, and in what other work on the host disturbs
    /// (the caches' sizes and the order of their latencies).
    static func problems(_ report: CalibrationReport, _ topology: HostTopology) -> (general: [String], sizes: [String]) {
        guard report.run.status == .ok, let machine = report.calibrated else {
            return (["the run failed: \(report.run.failureReason ?? "")"], [])
        }
        var problems: [String] = []
        var sizes: [String] = []
        func value(_ path: String) -> Double? {
            guard let field = MachineFields.current(path, in: machine), field.provenance.isMeasured else { return nil }
            return field.base
        }

        // Bandwidth: measured, and below the bound.
        let dram = value("memory.dram.bandwidth") ?? 0
        if !(dram > 1e8 && dram < 614.4e9) { problems.append("dram bandwidth \(dram) B/s") }

        // Latencies grow level by level, outward.
        let latencies = machine.memory.filter { $0.kind == .cache || $0.kind == .dram }.compactMap { value("memory.\($0.name).latency") }
        if latencies.count < 3 { problems.append("only \(latencies.count) latencies fitted") }
        // Under load one level can measure slower than the next; the orders of magnitude hold: no level under half
        // the one inside it, and the outermost at least ten times the innermost. Other work filling a shared level
        // can still break that (a loaded run measured its L3 at 438 ns and DRAM at 184 ns), so it counts with sizes.
        if !zip(latencies, latencies.dropFirst()).allSatisfy({ $0.1 > $0.0 / 2 }) || !((latencies.last ?? 0) >= 10 * (latencies.first ?? 1)) {
            sizes.append("latencies not increasing: \(latencies)")
        }
        if let first = latencies.first, let last = latencies.last, !(first > 2e-10 && last < 5e-6) {
            problems.append("latencies out of range: \(latencies)")
        }

        // Cache knees near hwloc's sizes: inner levels within 2x; the last level within 4x (its share shrinks when
        // other work fills it).
        let caches = machine.memory.filter { $0.kind == .cache }
        var found = 0
        for (index, (level, stated)) in zip(caches, topology.dataCaches).enumerated() {
            guard let size = value("memory.\(level.name).size") else { continue }
            found += 1
            let hwloc = level.scope == .unit ? stated.size.base : stated.totalSize.base
            let tolerance = index == caches.count - 1 ? 4.0 : 2.0
            if !(size / hwloc <= tolerance && hwloc / size <= tolerance) {
                sizes.append("\(level.name): measured \(Bytes(base: size)), hwloc \(Bytes(base: hwloc))")
            }
        }
        if found < 2 { sizes.append("fewer than two cache capacities were measured") }
        if value("compute.peak.vector.fp32") == nil { problems.append("no fp32 peak") }
        if !(value("launch_overhead").map { $0 > 0 && $0 < 0.01 } ?? false) { problems.append("launch overhead \(String(describing: value("launch_overhead")))") }
        return (problems, sizes)
    }

    /// The 1-minute load average is above the host's hardware threads.
    static func hostIsBusy(_ topology: HostTopology) -> (busy: Bool, load: Double) {
        var load = [Double](repeating: 0, count: 3)
        guard getloadavg(&load, 3) > 0 else { return (false, 0) }
        return (load[0] > Double(topology.processingUnitCount), load[0])
    }

    @Test func quickSuiteOnTheHostIsPlausible() throws {
        guard let device = OpenCLRuntime.shared.devices.first, device.kind == .cpu else {
            Issue.record("no OpenCL CPU device; install pocl-opencl-icd")
            return
        }
        let (spec, topology) = try Self.hostMachine()
        let store = try Store.inMemory()
        var problems: (general: [String], sizes: [String]) = ([], [])
        for _ in 0..<2 {
            let report = try CalibrationRunner(store: store).run(CalibrationRequest(device: device.id, machine: spec, quick: true))
            problems = Self.problems(report, topology)
            if problems.general.isEmpty && problems.sizes.isEmpty { break }
        }
        for problem in problems.general { Issue.record(Comment(rawValue: problem)) }
        let (busy, load) = Self.hostIsBusy(topology)
        if busy {
            withKnownIssue("the host is busy (load \(load) on \(topology.processingUnitCount) hardware threads): other work holds part of the caches", isIntermittent: true) {
                for problem in problems.sizes { Issue.record(Comment(rawValue: problem)) }
            }
        } else {
            for problem in problems.sizes { Issue.record(Comment(rawValue: problem)) }
        }
        // Both attempts are recorded in the store; neither touched the other.
        #expect(try store.calibrationRuns().count <= 2)
    }
}
