import MachineModel

/// A device that runs kernels and times them: what calibration and the verifier need from hardware.
///
/// The real implementations are `OpenCLDevice` (OpenCL C, any vendor through the ICD loader) and `CUDADevice` (CUDA
/// C++ and PTX on NVIDIA's driver API, loaded at run time); `ScriptedDevice` is a fake whose timings and failures a
/// test writes down in advance. Geometry is OpenCL's on every device: `global` counts threads, `local` is the block. A device is used from one thread at a time; launches are
/// blocking and return both the device's own timestamps and the host's wall time.
public protocol ComputeDevice: AnyObject {
    var info: DeviceInfo { get }

    /// The source languages `buildProgram` accepts.
    var languages: [KernelLanguage] { get }

    /// Compiles source in one of `languages`. A compile error throws with the build log.
    func buildProgram(source: String, options: String, language: KernelLanguage) throws(DeviceError) -> DeviceProgram

    /// A kernel of a built program, by function name.
    func makeKernel(_ program: DeviceProgram, name: String) throws(DeviceError) -> DeviceKernel

    /// Device memory. Some runtimes reserve lazily and fail at first use; `fill` the buffer to find out now.
    /// (On CPU devices that share host memory, OpenCLDevice backs buffers of 2 MiB and more with huge pages.)
    func allocate(byteCount: Int) throws(DeviceError) -> DeviceBuffer

    /// Page-locked host memory usable as the host side of fast transfers (the vendor's pinned-memory path).
    func allocateHostStaging(byteCount: Int) throws(DeviceError) -> HostStaging

    /// Copies host bytes into the buffer at `offset` and waits for the copy.
    func write(_ buffer: DeviceBuffer, offset: Int, from source: UnsafeRawBufferPointer) throws(DeviceError) -> TransferTiming

    /// Copies buffer bytes at `offset` into host memory and waits for the copy.
    func read(_ buffer: DeviceBuffer, offset: Int, into destination: UnsafeMutableRawBufferPointer) throws(DeviceError) -> TransferTiming

    /// Fills the whole buffer with a repeated pattern (1, 2, 4, ... 128 bytes) and waits.
    func fill(_ buffer: DeviceBuffer, pattern: [UInt8]) throws(DeviceError)

    /// Runs a kernel once over an NDRange and waits for it. `local` nil lets the runtime choose.
    func launch(_ kernel: DeviceKernel, global: [Int], local: [Int]?, arguments: [KernelArgument]) throws(DeviceError) -> KernelTiming

    /// Enqueues `count` launches back to back, then waits once: the launch rate a host loop sees.
    func launchBackToBack(
        _ kernel: DeviceKernel, global: [Int], local: [Int]?, arguments: [KernelArgument], count: Int
    ) throws(DeviceError) -> BatchTiming
}

extension ComputeDevice {
    /// Compiles OpenCL C source (calibration's microbenchmarks).
    public func buildProgram(source: String, options: String) throws(DeviceError) -> DeviceProgram {
        try buildProgram(source: source, options: options, language: .opencl)
    }

    /// Writes a whole array of trivial values.
    public func write<T: BitwiseCopyable>(_ buffer: DeviceBuffer, _ values: [T]) throws(DeviceError) -> TransferTiming {
        let result: Result<TransferTiming, DeviceError> = values.withUnsafeBytes { bytes in
            do throws(DeviceError) { return .success(try write(buffer, offset: 0, from: bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Reads `count` trivial values from the start of a buffer.
    public func read<T: BitwiseCopyable>(_ buffer: DeviceBuffer, count: Int, as _: T.Type = T.self) throws(DeviceError) -> [T] {
        var values = [T](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        let result: Result<TransferTiming, DeviceError> = values.withUnsafeMutableBytes { bytes in
            do throws(DeviceError) { return .success(try read(buffer, offset: 0, into: bytes)) } catch { return .failure(error) }
        }
        _ = try result.get()
        return values
    }
}

/// A kernel argument, in the order of the kernel's parameters.
public enum KernelArgument: Sendable {
    case buffer(DeviceBuffer)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case float(Float)
    case double(Double)
    /// Raw bytes for types without a case of their own (`half` as its 16 bits).
    case bytes([UInt8])
    /// A `__local` pointer parameter: this many bytes per work-group. On CUDA it is no parameter: the launch's dynamic
    /// shared memory (`extern __shared__`) is the sum of these.
    case local(byteCount: Int)
}

/// Device and host times of one kernel launch.
public struct KernelTiming: Sendable, Hashable {
    /// CL_PROFILING_COMMAND_END - CL_PROFILING_COMMAND_START: the kernel's run time on the device clock.
    public var device: Seconds
    /// CL_PROFILING_COMMAND_END - CL_PROFILING_COMMAND_QUEUED: from enqueue to completion, on the device clock.
    public var queuedToEnd: Seconds
    /// Host wall time from just before the enqueue to the return of the wait.
    public var host: Seconds

    public init(device: Seconds, queuedToEnd: Seconds, host: Seconds) {
        self.device = device
        self.queuedToEnd = queuedToEnd
        self.host = host
    }
}

/// Times of a batch of launches enqueued back to back.
public struct BatchTiming: Sendable, Hashable {
    public var count: Int
    /// Host wall time from the first enqueue to the return of the final wait.
    public var host: Seconds
    /// Device clock from the first launch's start to the last launch's end.
    public var deviceSpan: Seconds

    public init(count: Int, host: Seconds, deviceSpan: Seconds) {
        self.count = count
        self.host = host
        self.deviceSpan = deviceSpan
    }
}

/// Device and host times of one transfer.
public struct TransferTiming: Sendable, Hashable {
    public var bytes: Int
    /// The copy on the device clock (CL_PROFILING_COMMAND_END - START).
    public var device: Seconds
    public var host: Seconds

    public init(bytes: Int, device: Seconds, host: Seconds) {
        self.bytes = bytes
        self.device = device
        self.host = host
    }
}

/// A compiled program; keeps its source and options for error messages.
public final class DeviceProgram: @unchecked Sendable {
    public let source: String
    public let options: String
    /// The `cl_program` or `CUmodule`, or nil on a scripted device.
    let handle: OpaquePointer?
    private let release: (@Sendable (OpaquePointer) -> Void)?

    init(source: String, options: String, handle: OpaquePointer?, release: (@Sendable (OpaquePointer) -> Void)?) {
        self.source = source
        self.options = options
        self.handle = handle
        self.release = release
    }

    deinit { if let handle, let release { release(handle) } }
}

/// A kernel of a program; holds its program alive.
public final class DeviceKernel: @unchecked Sendable {
    public let name: String
    public let program: DeviceProgram
    /// What the compiler reported for this kernel, where the runtime tells (CUDA's function attributes).
    public internal(set) var facts: KernelFacts?
    /// The `cl_kernel`, or nil on a scripted device.
    let handle: OpaquePointer?
    private let release: (@Sendable (OpaquePointer) -> Void)?

    init(name: String, program: DeviceProgram, handle: OpaquePointer?, release: (@Sendable (OpaquePointer) -> Void)?) {
        self.name = name
        self.program = program
        self.handle = handle
        self.release = release
    }

    deinit { if let handle, let release { release(handle) } }
}

/// Device memory; released when the last reference goes.
public final class DeviceBuffer: @unchecked Sendable {
    public let byteCount: Int
    /// The `cl_mem`, or nil on a scripted device.
    let handle: OpaquePointer?
    private let release: (@Sendable (OpaquePointer) -> Void)?

    init(byteCount: Int, handle: OpaquePointer?, release: (@Sendable (OpaquePointer) -> Void)?) {
        self.byteCount = byteCount
        self.handle = handle
        self.release = release
    }

    deinit { if let handle, let release { release(handle) } }
}

/// Page-locked host memory: `bytes` stays valid while this object lives.
public final class HostStaging: @unchecked Sendable {
    public let bytes: UnsafeMutableRawBufferPointer
    private let release: @Sendable () -> Void

    init(bytes: UnsafeMutableRawBufferPointer, release: @escaping @Sendable () -> Void) {
        self.bytes = bytes
        self.release = release
    }

    deinit { release() }
}
