import Devices
import Foundation
import MachineModel
import Store
import Testing
@testable import Calibration

/// The suite's GPU paths on a scripted GPU: work-groups of 256 lanes, on-chip local memory fitted to the
/// scratchpad level, the host link fitted from pinned transfers.
@Suite struct ScriptedGPUTests {
    static let spec = """
        version: 1
        name: synthetic-gpu
        kind: gpu
        identity: {vendor: Test, product: Synthetic GPU, architecture: Test}
        sources:
          sheet: "A made-up datasheet"
        compute:
          unit_name: SM
          unit_count: {value: 4, spec: sheet}
          warp_width: {value: 32, spec: sheet}
        memory:
          - name: shared
            kind: scratchpad
            scope: unit
            size: {value: 64 KiB, spec: sheet}
          - name: l1
            kind: cache
            scope: unit
            size: {value: 64 KiB, spec: sheet}
            line_size: {value: 128 B, spec: sheet}
          - name: l2
            kind: cache
            scope: device
            size: {value: 2 MiB, spec: sheet}
          - name: hbm
            kind: dram
            scope: device
            size: {value: 16 GiB, spec: sheet}
            bandwidth: {value: 1 TB/s, spec: sheet}
          - name: host_link
            kind: link
            scope: host
            bandwidth: {value: 32 GB/s, spec: sheet}
        unknown:
          - occupancy
        """

    /// Capacity, aggregate bandwidth, latency.
    static let levels: [(capacity: Double, bandwidth: Double, latency: Double)] = [
        (64 * 1024, 1.6e12, 20e-9), (2 * 1024 * 1024, 1.0e12, 100e-9), (.infinity, 0.5e12, 300e-9),
    ]

    static func level(_ footprint: Double) -> (capacity: Double, bandwidth: Double, latency: Double) {
        levels.first { footprint <= $0.capacity }!
    }

    static func device() -> ScriptedDevice {
        var info = ScriptedDevice.info(name: "Synthetic GPU", kind: .gpu, units: 4, cacheSize: Bytes(base: 65536))
        info.maxAllocationSize = Bytes(base: 4 * 1_073_741_824)
        return ScriptedDevice(info: info, script: .init(kernelTime: { request in
            let items = Double(request.workItems)
            let name = request.kernel
            if name.hasPrefix("stream_") {
                let width = Double(Int(name.split(separator: "_").last!.dropFirst(5)) ?? 1)
                let moved = name.contains("copy") ? 2.0 : name.contains("triad") ? 3.0 : 1.0
                return Seconds(base: items * 4 * width * moved / 0.5e12 + 3e-6)
            }
            if name == "sweep_float4" {
                #expect(request.local == [256])
                let footprint = Double(request.integer(1)) * 16
                return Seconds(base: items * Double(request.integer(2)) * 16 / level(footprint).bandwidth + 3e-6)
            }
            if name == "chase" {
                return Seconds(base: Double(request.integer(1)) * level(Double(request.arguments[0].lastWrite ?? 0)).latency + 3e-6)
            }
            if name == "local_read" {
                #expect(request.local == [256])
                return Seconds(base: items * Double(request.integer(1)) * 64 / 2e12 + 3e-6)
            }
            if name.hasPrefix("fma_") {
                let width = Double(Int(name.dropFirst(4)) ?? 1)
                return Seconds(base: items * Double(request.integer(1)) * 64 * width / 2e12 + 3e-6)
            }
            return Seconds(base: 3e-6)
        }, transferBandwidth: BytesPerSecond(base: 25e9), hostOverhead: Seconds(base: 1e-6)))
    }

    @Test func fitsTheGPUPaths() throws {
        let machine = try MachineFile.parse(Self.spec, file: "synthetic-gpu.yaml")
        let report = try CalibrationRunner(store: Store.inMemory(), openDevice: { _ in Self.device() })
            .run(CalibrationRequest(device: "fake:gpu", machine: machine, quick: true))
        #expect(report.run.status == .ok, "\(report.run.failureReason ?? "")")
        #expect(report.settings.sweepLocalSize == 256)
        #expect(report.settings.sweepGroups == 4 * 8)
        let calibrated = try #require(report.calibrated)
        func value(_ path: String) -> Double? { MachineFields.current(path, in: calibrated)?.base }
        #expect(abs(value("memory.hbm.bandwidth")! / 0.5e12 - 1) < 0.05)
        #expect(abs(value("memory.shared.bandwidth")! / (2e12 / 4) - 1) < 0.05)
        #expect(abs(value("memory.host_link.bandwidth")! / 25e9 - 1) < 0.05)
        #expect(abs(value("memory.l1.latency")! / 20e-9 - 1) < 0.05)
        #expect(abs(value("memory.l2.latency")! / 100e-9 - 1) < 0.05)
        #expect(abs(value("memory.hbm.latency")! / 300e-9 - 1) < 0.05)
        #expect(abs(value("memory.l2.bandwidth")! / 1.0e12 - 1) < 0.05)
        let l2 = try #require(value("memory.l2.size"))
        #expect(l2 >= 2 * 1024 * 1024 && l2 <= 1.45 * 2 * 1024 * 1024)
        #expect(abs(value("compute.peak.vector.fp32")! / 2e12 - 1) < 0.05)
        #expect(calibrated.unknown == ["occupancy"])
    }

    /// On an NVIDIA or AMD GPU the OpenCL launch figure is recorded but not fitted: the swarm's kernels launch through
    /// CUDA or HIP, and the cost model's term means what they show.
    @Test(arguments: [("Test", true), ("NVIDIA", false), ("AMD", false)])
    func launchOverheadIsFittedOnlyWhereOpenCLIsTheKernelsAPI(vendor: String, fitted: Bool) throws {
        let spec = Self.spec.replacingOccurrences(of: "vendor: Test", with: "vendor: \(vendor)")
        let machine = try MachineFile.parse(spec, file: "synthetic-gpu.yaml")
        let report = try CalibrationRunner(store: Store.inMemory(), openDevice: { _ in Self.device() })
            .run(CalibrationRequest(device: "fake:gpu", machine: machine, quick: true, benchmarks: [.launchOverhead]))
        let outcome = try #require(report.outcomes.first)
        #expect(outcome.measurements.map(\.name).contains("back_to_back.host"))
        #expect(report.fits.contains { $0.path == "launch_overhead" } == fitted)
        #expect(outcome.notes.contains { $0.hasPrefix("launch_overhead not fitted: \(vendor) GPUs run kernels through their own API") } == !fitted)
    }

    /// A stored run fitted again under the same rules gives the same fields: the fits read only what the results
    /// file keeps (samples, work, parameters, the device's memory facts).
    @Test func aStoredRunRefitsToTheSameFields() throws {
        let machine = try MachineFile.parse(Self.spec, file: "synthetic-gpu.yaml")
        let report = try CalibrationRunner(store: Store.inMemory(), openDevice: { _ in Self.device() })
            .run(CalibrationRequest(device: "fake:gpu", machine: machine, quick: true))
        let refit = try CalibrationRefit.refit(report.json.rendered(), file: "run.json", spec: machine)
        #expect(refit.failures.isEmpty)
        #expect(refit.runID == report.run.id + "-refit")
        #expect(refit.fits.map(\.path) == report.fits.map(\.path))
        for (a, b) in zip(refit.fits, report.fits) { #expect(abs(a.value.base / b.value.base - 1) < 1e-12, "\(a.path)") }
        #expect(refit.calibrated.map { MachineFile.write($0) } == report.calibrated.map { MachineFile.write($0) }
            .map { $0.replacingOccurrences(of: report.run.id, with: refit.runID) })
    }

    @Test func aFileThatIsNoRunIsOneLine() {
        let machine = try! MachineFile.parse(Self.spec, file: "synthetic-gpu.yaml")
        do {
            _ = try CalibrationRefit.refit(#"{"kind": "kernelcast-calibration-import", "run": "x"}"#, file: "x.json", spec: machine)
            Issue.record("an import file was refitted")
        } catch {
            #expect(error.description == #"x.json:1:2: error: kind: expected "kernelcast-calibration-run" (a <run-id>.json of `kernelcast calibrate`), got "kernelcast-calibration-import""#)
        }
    }
}
