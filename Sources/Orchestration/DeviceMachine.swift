import Devices
import Foundation
import MachineModel
import Store

/// The machine model of an OpenCL device the loop runs on, when the user names none.
///
/// First choice: the newest successful `kernelcast calibrate` run of this device in the store, whose calibrated
/// machine file sits at `calibration/results/<machine>/<run-id>.yaml`. Otherwise the device's draft (what
/// `kernelcast machines detect` writes) with the figures OpenCL cannot state filled in by the documented fallback
/// below, each with provenance `derived: fallback ...`, so that `machines show` and every report say they are
/// assumptions. The loop anchors the space's scale on its first measurement, so a fallback that is off by a constant
/// factor costs little; calibrating replaces it.
public enum DeviceMachine {
    public struct Resolved: Sendable {
        public var machine: Machine
        /// Where it came from, in words.
        public var source: String
    }

    public static func resolve(selector: String, store: Store?, resultsDirectory: String) throws(DeviceError) -> Resolved {
        let info = try DeviceSelector(parsing: selector).pick(from: OpenCLRuntime.shared.devices)
        if let store, let calibrated = calibration(ofDevice: info.name, id: info.id, store: store, resultsDirectory: resultsDirectory) {
            return Resolved(machine: calibrated.machine, source: "calibrated by run \(calibrated.run) (\(calibrated.path))")
        }
        return Resolved(machine: fallback(info), source: "draft of \(info.id) with fallback figures (run kernelcast calibrate --device \(info.id) to measure them)")
    }

    /// The calibrated machine of the newest successful `kernelcast calibrate` run of a device (by name or id), if its
    /// file is still under `resultsDirectory`.
    public static func calibration(ofDevice name: String, id: String, store: Store, resultsDirectory: String)
        -> (machine: Machine, run: String, path: String)? {
        guard let runs = try? store.calibrationRuns() else { return nil }
        for run in runs where run.status == .ok && run.source == .suite
            && (run.deviceName == name || run.device.contains(id) || run.device.contains(name)) {
            let path = "\(resultsDirectory)/\(run.machine)/\(run.id).yaml"
            if FileManager.default.fileExists(atPath: path), let machine = try? MachineFile.load(path: path) {
                return (machine, run.id, path)
            }
        }
        return nil
    }

    /// The draft with the unknowns a cost model needs filled in by rule.
    ///
    /// CPU: vector fp32 peak = cores x fp32 SIMD lanes x 2 (FMA) x 2 (two FMA pipes) x clock (2 GHz when the device
    /// states none); device-memory bandwidth 10 GB/s per core, latency 100 ns; launch overhead 20 us (PoCL's
    /// pthread driver). GPU: fp32 peak = units x 128 lanes x 2 x clock; 300 GB/s; 500 ns; 5 us.
    public static func fallback(_ info: DeviceInfo) -> Machine {
        var machine = MachineDraft.openCL(info).machine
        let isCPU = machine.kind == .cpu
        let clock = machine.compute.boostClock?.value.base ?? 2e9
        let units = Double(machine.compute.unitCount.value)
        let lanes = Double(isCPU ? max(1, info.nativeFloatVectorWidth) : 128)
        func derived(_ formula: String) -> Provenance { .derived(formula: "fallback: \(formula)") }
        if machine.compute.boostClock == nil {
            machine.compute.boostClock = Sourced(Hertz(base: clock), derived("2 GHz assumed"))
        }
        let fp32 = units * lanes * 2 * (isCPU ? 2 : 1) * clock
        machine.compute.peak[.vector, default: [:]][.fp32] = Sourced(
            OpsPerSecond(base: fp32),
            derived(isCPU ? "\(Int(units)) cores x \(Int(lanes)) fp32 lanes x 2 (FMA) x 2 pipes x clock" : "\(Int(units)) units x 128 lanes x 2 (FMA) x clock"))
        if let index = machine.memory.lastIndex(where: { $0.kind == .dram }) {
            let bandwidth = isCPU ? 10e9 * units : 300e9
            machine.memory[index].bandwidth = Sourced(BytesPerSecond(base: bandwidth), derived(isCPU ? "10 GB/s per core" : "300 GB/s"))
            machine.memory[index].latency = Sourced(Seconds(base: isCPU ? 100e-9 : 500e-9), derived(isCPU ? "100 ns" : "500 ns"))
        }
        machine.launchOverhead = Sourced(Seconds(base: isCPU ? 20e-6 : 5e-6), derived(isCPU ? "20 us (PoCL pthread)" : "5 us"))
        var filled: Set<String> = ["compute.peak", "compute.boost_clock", "launch_overhead"]
        if let dram = machine.deviceMemory?.name { filled.formUnion(["memory.\(dram).bandwidth", "memory.\(dram).latency"]) }
        machine.unknown = machine.unknown.filter { !filled.contains($0) }
        return machine
    }

    /// The machine without the fallback's guesses, for physical limits: a guess is no ceiling, and a kernel faster
    /// than a guessed bandwidth is not impossibly fast.
    public static func withoutFallbacks(_ machine: Machine) -> Machine {
        func guessed(_ p: Provenance?) -> Bool {
            if case let .derived(formula)? = p { return formula.hasPrefix("fallback:") }
            return false
        }
        var m = machine
        for (unit, rates) in m.compute.peak {
            for (precision, rate) in rates where guessed(rate.provenance) { m.compute.peak[unit]?[precision] = nil }
        }
        for i in m.memory.indices where guessed(m.memory[i].bandwidth?.provenance) { m.memory[i].bandwidth = nil }
        return m
    }
}
