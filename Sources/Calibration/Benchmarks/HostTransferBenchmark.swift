import Devices
import MachineModel

/// Host-to-device and device-to-host bandwidth, from page-locked staging memory (the vendor's fast path:
/// CL_MEM_ALLOC_HOST_PTR, mapped) and from ordinary pageable memory, timed on the device clock.
/// The faster pinned direction becomes the spec machine's link bandwidth, when it has a link level and the device
/// does not share memory with the host.
struct HostTransferBenchmark: Benchmark {
    let id = BenchmarkID.hostTransfer

    func measure(_ context: BenchmarkContext) throws {
        let bytes = context.settings.transferBytes
        let device = try context.device.allocate(byteCount: bytes)
        try context.device.fill(device, pattern: [0, 0, 0x80, 0x3F])
        let pinned = try context.device.allocateHostStaging(byteCount: bytes)
        let pageable = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 4096)
        defer { pageable.deallocate() }
        pageable.initializeMemory(as: UInt8.self, repeating: 1)
        pinned.bytes.initializeMemory(as: UInt8.self, repeating: 1)

        for (memory, host) in [("pinned", pinned.bytes), ("pageable", pageable)] {
            for direction in ["h2d", "d2h"] {
                let seconds = try context.sample {
                    if direction == "h2d" {
                        return try context.device.write(device, offset: 0, from: UnsafeRawBufferPointer(host)).device.base
                    }
                    return try context.device.read(device, offset: 0, into: host).device.base
                }
                let measurement = Measurement.rate(
                    "\(direction).\(memory)", parameters: [("bytes", .int(bytes)), ("host_memory", .string(memory))],
                    seconds: seconds, work: Double(bytes), unit: "B/s")
                context.record(measurement)
                try SanityCheck.plausible(measurement.value, ceiling: PhysicalCeiling.hostLinkBandwidth * 10, unit: "B/s", id: id,
                                          what: "\(direction) bandwidth (\(memory))")
            }
        }
    }

    func fit(_ context: FitInput) throws -> BenchmarkFindings {
        let results = Dictionary(context.measurements.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        guard let h2d = results["h2d.pinned"], let d2h = results["d2h.pinned"], let h2dPageable = results["h2d.pageable"],
              let d2hPageable = results["d2h.pageable"] else {
            throw CalibrationError(.benchmarkFailed(id.rawValue), "host-transfer: the pinned and pageable measurements are missing")
        }
        var findings = BenchmarkFindings(summary: "to device \(h2d.text), to host \(d2h.text) (pinned); "
            + "\(h2dPageable.text), \(d2hPageable.text) (pageable)")
        let best = h2d.value >= d2h.value ? h2d : d2h
        if context.hostUnifiedMemory {
            findings.notes.append("the device shares memory with the host: these are memory copies, not a link; not fitted")
        } else if let link = context.spec.memory.first(where: { $0.kind == .link }) {
            let path = "memory.\(link.name).bandwidth"
            try SanityCheck.notAboveSpec(best.value, path: path, in: context.spec, id: id, what: "\(best.name) bandwidth")
            try SanityCheck.plausible(best.value, ceiling: PhysicalCeiling.hostLinkBandwidth, unit: "B/s", id: id, what: "\(best.name) bandwidth")
            findings.fits.append(FieldFit(
                path: path, value: .bandwidth(BytesPerSecond(base: best.value)), benchmark: id.rawValue,
                basis: "the faster pinned direction (\(best.name)), median of \(best.samples.count) copies of \(Bytes(best.int("bytes") ?? 0))"))
        } else {
            findings.notes.append("\(context.spec.name) has no link level; not fitted")
        }
        return findings
    }
}
