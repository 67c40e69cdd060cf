import Foundation
import MachineModel

/// A fake device whose behaviour a test writes down in advance: kernel times, transfer speed, and failures.
///
/// It runs no code. Every launch is logged and its device time comes from `Script.kernelTime`, which sees the
/// kernel's name, sizes and arguments (buffers by size, scalars by value), so a test can model a device with known
/// bandwidths and caches, or one that returns nonsense. Buffers keep no contents: reads return zeros.
public final class ScriptedDevice: ComputeDevice, @unchecked Sendable {
    public let info: DeviceInfo
    public var script: Script
    /// Every launch so far, in order.
    public private(set) var launches: [LaunchRequest] = []
    private var compiled: Set<String> = []
    private var lastWrites: [ObjectIdentifier: Int] = [:]

    public struct Script: Sendable {
        /// Device time of one launch; throw to make the launch fail (e.g. `CL_OUT_OF_RESOURCES`).
        public var kernelTime: @Sendable (LaunchRequest) throws(DeviceError) -> Seconds
        /// A build log when the source (with options) should fail to compile, nil when it builds.
        public var buildFailure: @Sendable (_ source: String, _ options: String) -> String?
        /// Allocations larger than this fail with CL_MEM_OBJECT_ALLOCATION_FAILURE.
        public var allocationLimit: Int
        /// Speed of writes, reads and fills.
        public var transferBandwidth: BytesPerSecond
        /// Host time added to every launch on top of the device time (enqueue and wait costs).
        public var hostOverhead: Seconds
        /// The languages the fake builds, and what its compiler reports per kernel name (nil: nothing, as OpenCL).
        public var languages: [KernelLanguage]
        public var kernelFacts: @Sendable (_ kernel: String) -> KernelFacts?

        public init(
            kernelTime: @escaping @Sendable (LaunchRequest) throws(DeviceError) -> Seconds,
            buildFailure: @escaping @Sendable (String, String) -> String? = { _, _ in nil },
            allocationLimit: Int = Int.max,
            transferBandwidth: BytesPerSecond = BytesPerSecond(base: 10e9),
            hostOverhead: Seconds = Seconds(base: 5e-6),
            languages: [KernelLanguage] = [.opencl],
            kernelFacts: @escaping @Sendable (String) -> KernelFacts? = { _ in nil }
        ) {
            self.languages = languages
            self.kernelFacts = kernelFacts
            self.kernelTime = kernelTime
            self.buildFailure = buildFailure
            self.allocationLimit = allocationLimit
            self.transferBandwidth = transferBandwidth
            self.hostOverhead = hostOverhead
        }
    }

    /// What a scripted launch was asked to do.
    public struct LaunchRequest: Sendable {
        public var kernel: String
        public var global: [Int]
        public var local: [Int]?
        public var arguments: [Value]

        /// An argument as the script sees it.
        public enum Value: Sendable, Hashable {
            /// A buffer, with the byte count of the last write into it (nil before any write).
            case buffer(byteCount: Int, lastWrite: Int?)
            case integer(Int)
            case real(Double)
            case bytes([UInt8])
            case local(byteCount: Int)

            public var integer: Int? { if case let .integer(v) = self { v } else { nil } }
            public var real: Double? { if case let .real(v) = self { v } else { nil } }
            public var bufferSize: Int? { if case let .buffer(v, _) = self { v } else { nil } }
            public var lastWrite: Int? { if case let .buffer(_, w) = self { w } else { nil } }
        }

        /// Total work-items.
        public var workItems: Int { global.reduce(1, *) }
        public func integer(_ index: Int) -> Int { arguments[index].integer ?? 0 }
    }

    public init(info: DeviceInfo, script: Script) {
        self.info = info
        self.script = script
    }

    /// A plausible description for a fake: a device of `kind` with `units` compute units.
    public static func info(
        name: String = "Scripted Device", kind: DeviceInfo.Kind = .gpu, units: Int = 4, clock: Hertz? = Hertz(base: 1e9),
        globalMemory: Bytes = Bytes(base: 8 * 1_073_741_824), localMemory: Bytes = Bytes(base: 65536),
        cacheSize: Bytes? = Bytes(base: 1_048_576), extensions: [String] = ["cl_khr_fp64"]
    ) -> DeviceInfo {
        DeviceInfo(
            id: "fake:\(name)", index: 0, name: name, vendor: "KernelCast", driverVersion: "scripted 1",
            deviceVersion: "OpenCL 3.0 scripted", platformName: "Scripted", platformVersion: "OpenCL 3.0", kind: kind,
            computeUnits: units, maxClock: clock, globalMemorySize: globalMemory, maxAllocationSize: globalMemory / 4,
            localMemorySize: localMemory, localMemoryIsDedicated: kind == .gpu, maxWorkGroupSize: 1024,
            globalCacheSize: cacheSize, globalCacheLineSize: Bytes(base: 64), timerResolution: Seconds(base: 1e-9),
            hostUnifiedMemory: kind == .cpu, nativeFloatVectorWidth: kind == .cpu ? 8 : 1, extensions: extensions)
    }

    public var languages: [KernelLanguage] { script.languages }

    public func buildProgram(source: String, options: String, language: KernelLanguage) throws(DeviceError) -> DeviceProgram {
        guard script.languages.contains(language) else {
            throw DeviceError(.invalidRequest, operation: "build", "\(info.id) does not build \(language.rawValue)")
        }
        if let log = script.buildFailure(source, options) {
            throw DeviceError(.openCL(.buildProgramFailure), operation: "clBuildProgram",
                              "the program did not build for \(info.name) with options \"\(options)\"", buildLog: log)
        }
        compiled.insert(source)
        return DeviceProgram(source: source, options: options, handle: nil, release: nil)
    }

    /// Any name is accepted: the script decides what a launch of it does.
    public func makeKernel(_ program: DeviceProgram, name: String) throws(DeviceError) -> DeviceKernel {
        let kernel = DeviceKernel(name: name, program: program, handle: nil, release: nil)
        kernel.facts = script.kernelFacts(name)
        return kernel
    }

    public func allocate(byteCount: Int) throws(DeviceError) -> DeviceBuffer {
        guard byteCount > 0 else {
            throw DeviceError(.openCL(.invalidBufferSize), operation: "clCreateBuffer", "a buffer needs at least one byte")
        }
        guard byteCount <= script.allocationLimit else {
            throw DeviceError(.openCL(.memObjectAllocationFailure), operation: "clCreateBuffer(\(Bytes(byteCount)))",
                              "the device could not provide the memory; use a smaller size")
        }
        return DeviceBuffer(byteCount: byteCount, handle: nil, release: nil)
    }

    public func allocateHostStaging(byteCount: Int) throws(DeviceError) -> HostStaging {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        let box = RawMemory(memory)
        return HostStaging(bytes: UnsafeMutableRawBufferPointer(rebasing: memory[0..<byteCount])) { box.memory.deallocate() }
    }

    public func write(_ buffer: DeviceBuffer, offset: Int, from source: UnsafeRawBufferPointer) throws(DeviceError) -> TransferTiming {
        lastWrites[ObjectIdentifier(buffer)] = source.count
        return transfer(source.count)
    }

    public func read(_ buffer: DeviceBuffer, offset: Int, into destination: UnsafeMutableRawBufferPointer) throws(DeviceError) -> TransferTiming {
        if let base = destination.baseAddress { memset(base, 0, destination.count) }
        return transfer(destination.count)
    }

    public func fill(_ buffer: DeviceBuffer, pattern: [UInt8]) throws(DeviceError) {}

    private func transfer(_ bytes: Int) -> TransferTiming {
        let device = Seconds(base: Double(bytes) / script.transferBandwidth.base + 2e-6)
        return TransferTiming(bytes: bytes, device: device, host: device + script.hostOverhead)
    }

    public func launch(_ kernel: DeviceKernel, global: [Int], local: [Int]?, arguments: [KernelArgument]) throws(DeviceError) -> KernelTiming {
        let request = LaunchRequest(kernel: kernel.name, global: global, local: local, arguments: arguments.map(value))
        launches.append(request)
        let device = try script.kernelTime(request)
        return KernelTiming(device: device, queuedToEnd: device + script.hostOverhead, host: device + script.hostOverhead)
    }

    public func launchBackToBack(
        _ kernel: DeviceKernel, global: [Int], local: [Int]?, arguments: [KernelArgument], count: Int
    ) throws(DeviceError) -> BatchTiming {
        let request = LaunchRequest(kernel: kernel.name, global: global, local: local, arguments: arguments.map(value))
        launches.append(request)
        let device = try script.kernelTime(request)
        let each = max(device, script.hostOverhead)
        return BatchTiming(count: count, host: each * Double(count), deviceSpan: each * Double(count))
    }

    private func value(_ argument: KernelArgument) -> LaunchRequest.Value {
        switch argument {
        case let .buffer(buffer): .buffer(byteCount: buffer.byteCount, lastWrite: lastWrites[ObjectIdentifier(buffer)])
        case let .int32(v): .integer(Int(v))
        case let .uint32(v): .integer(Int(v))
        case let .int64(v): .integer(Int(v))
        case let .uint64(v): .integer(Int(v))
        case let .float(v): .real(Double(v))
        case let .double(v): .real(v)
        case let .bytes(v): .bytes(v)
        case let .local(byteCount): .local(byteCount: byteCount)
        }
    }
}

private final class RawMemory: @unchecked Sendable {
    let memory: UnsafeMutableRawBufferPointer
    init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }
}
