import Foundation
import MachineModel

/// An NVIDIA GPU through the CUDA driver API: CUDA C++ (compiled by NVRTC to PTX) and PTX kernels, timed with CUDA
/// events on the device's primary context.
///
/// Geometry follows `ComputeDevice`: `global` counts threads per dimension and must be a whole number of blocks of
/// `local` (the grid is `global / local`), which CUDA needs stated. A kernel that faults (illegal address, trap)
/// leaves the context unusable; the device then resets it, so the next candidate starts clean, and everything made
/// before the fault (buffers, modules) is dropped without being freed twice.
public final class CUDADevice: ComputeDevice, @unchecked Sendable {
    public let info: DeviceInfo
    public var languages: [KernelLanguage] { [.cuda, .ptx] }
    /// `compute_90`: what NVRTC compiles CUDA C++ for.
    public let architecture: String
    private let driver: CUDADriverAPI
    private let context: ContextState
    private var events: (start: OpaquePointer?, end: OpaquePointer?) = (nil, nil)

    /// Opens `cuda:N` (or `cuda`, the first device).
    public static func open(_ selector: String) throws(DeviceError) -> CUDADevice {
        let rest = selector.lowercased().hasPrefix("cuda") ? selector.dropFirst(4) : Substring(selector)
        let ordinal: Int
        if rest.isEmpty {
            ordinal = 0
        } else if rest.hasPrefix(":"), let n = Int(rest.dropFirst()), n >= 0 {
            ordinal = n
        } else {
            throw DeviceError(.invalidRequest, operation: "select device", "\"\(selector)\" names no CUDA device; use cuda or cuda:N")
        }
        return try CUDADevice(ordinal: ordinal)
    }

    public init(ordinal: Int) throws(DeviceError) {
        driver = try CUDADriverAPI.shared.get()
        try driver.check(driver.cuInit(0), "cuInit")
        var count: Int32 = 0
        try driver.check(driver.cuDeviceGetCount(&count), "cuDeviceGetCount")
        guard ordinal < Int(count) else {
            throw DeviceError(.noDevice, operation: "select device", "no CUDA device cuda:\(ordinal); \(count) visible (cuda:0 to cuda:\(max(Int(count) - 1, 0)))")
        }
        var device: Int32 = 0
        try driver.check(driver.cuDeviceGet(&device, Int32(ordinal)), "cuDeviceGet(\(ordinal))")
        var context: OpaquePointer?
        try driver.check(driver.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain")
        self.context = ContextState(driver: driver, device: device, context: context)
        try driver.check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent")
        let attributes = CUDADeviceAttributes(driver: driver, device: device)
        architecture = "compute_\(attributes.value(.computeMajor))\(attributes.value(.computeMinor))"
        info = try Self.describe(driver, device: device, ordinal: ordinal, attributes)
        try createEvents()
    }

    deinit {
        if events.start != nil { _ = driver.cuEventDestroy(events.start) }
        if events.end != nil { _ = driver.cuEventDestroy(events.end) }
        context.release()
    }

    private static func describe(_ driver: CUDADriverAPI, device: Int32, ordinal: Int, _ a: CUDADeviceAttributes) throws(DeviceError) -> DeviceInfo {
        var nameBytes = [CChar](repeating: 0, count: 256)
        try driver.check(driver.cuDeviceGetName(&nameBytes, 256, device), "cuDeviceGetName")
        let name = String(decoding: nameBytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var memory = 0
        try driver.check(driver.cuDeviceTotalMem(&memory, device), "cuDeviceTotalMem")
        var version: Int32 = 0
        _ = driver.cuDriverGetVersion(&version)
        let driverVersion = "CUDA \(version / 1000).\(version % 1000 / 10)"
        let capability = "\(a.value(.computeMajor)).\(a.value(.computeMinor))"
        return DeviceInfo(
            id: "cuda:\(ordinal)", index: ordinal, name: name, vendor: "NVIDIA Corporation", driverVersion: driverVersion,
            deviceVersion: "CUDA sm_\(a.value(.computeMajor))\(a.value(.computeMinor))", platformName: "CUDA",
            platformVersion: driverVersion, kind: .gpu, computeUnits: a.value(.multiprocessors),
            maxClock: Hertz(base: Double(a.value(.clockKHz)) * 1e3), globalMemorySize: Bytes(memory),
            maxAllocationSize: Bytes(memory), localMemorySize: Bytes(a.value(.sharedPerBlockOptIn)),
            localMemoryIsDedicated: true, maxWorkGroupSize: a.value(.maxThreadsPerBlock),
            globalCacheSize: Bytes(a.value(.l2Bytes)), globalCacheLineSize: Bytes(128),
            // cuEventElapsedTime's stated resolution.
            timerResolution: Seconds(base: 0.5e-6), hostUnifiedMemory: false, nativeFloatVectorWidth: 1, extensions: [],
            vendorFacts: .init(computeCapability: capability, warpWidth: a.value(.warpSize), registersPerBlock: a.value(.registersPerBlock)))
    }

    private func createEvents() throws(DeviceError) {
        var start: OpaquePointer?, end: OpaquePointer?
        try driver.check(driver.cuEventCreate(&start, 0), "cuEventCreate")
        try driver.check(driver.cuEventCreate(&end, 0), "cuEventCreate")
        events = (start, end)
    }

    /// Makes the context current on the calling thread (tasks move between threads); resets it first after a fault.
    private func enter() throws(DeviceError) {
        try context.makeCurrent()
        if events.start == nil { try createEvents() }
    }

    /// Checks a call that may have faulted the context: on a sticky error the context is reset before throwing.
    private func checkLaunch(_ result: Int32, _ operation: @autoclosure () -> String) throws(DeviceError) {
        guard result != 0 else { return }
        let name = driver.name(of: result)
        if CUDADriverAPI.isSticky(name) {
            events = (nil, nil)
            context.reset()
        }
        try driver.check(result, operation())
    }

    // MARK: Building

    public func buildProgram(source: String, options: String, language: KernelLanguage) throws(DeviceError) -> DeviceProgram {
        try enter()
        let ptx: String
        switch language {
        case .cuda: ptx = try NVRTCCompiler().compile(source, name: "candidate.cu", architecture: architecture, options: options)
        case .ptx: ptx = source
        case .opencl:
            throw DeviceError(.invalidRequest, operation: "build", "\(info.id) builds CUDA C++ and PTX, not OpenCL C; run OpenCL kernels on an opencl:N device")
        }
        var module: OpaquePointer?
        var log = [CChar](repeating: 0, count: 16_384)
        // CU_JIT_ERROR_LOG_BUFFER (5) and CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES (6): the driver's PTX compiler says why.
        var jitOptions: [Int32] = [5, 6]
        let result: Int32 = log.withUnsafeMutableBytes { logBytes in
            var values: [UnsafeMutableRawPointer?] = [logBytes.baseAddress, UnsafeMutableRawPointer(bitPattern: logBytes.count)]
            return ptx.withCString { text in driver.cuModuleLoadDataEx(&module, text, 2, &jitOptions, &values) }
        }
        guard result == 0, let module else {
            let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let name = driver.name(of: result)
            throw DeviceError(.cuda(name), operation: "cuModuleLoadDataEx", CUDADriverAPI.remedy(for: name), buildLog: text)
        }
        let state = context, generation = context.generation
        return DeviceProgram(source: source, options: options, handle: module, release: { handle in
            state.ifStillCurrent(generation) { state.driver.cuModuleUnload(handle) }
        })
    }

    public func makeKernel(_ program: DeviceProgram, name: String) throws(DeviceError) -> DeviceKernel {
        try enter()
        var function: OpaquePointer?
        let result = name.withCString { driver.cuModuleGetFunction(&function, program.handle, $0) }
        guard result == 0, let function else {
            let code = driver.name(of: result)
            throw DeviceError(.cuda(code), operation: "cuModuleGetFunction(\(name))",
                              "the module has no kernel \"\(name)\"; declare it extern \"C\" __global__ so its name is not mangled")
        }
        let kernel = DeviceKernel(name: name, program: program, handle: function, release: nil)
        func attribute(_ id: Int32) -> Int {
            var value: Int32 = 0
            return driver.cuFuncGetAttribute(&value, id, function) == 0 ? Int(value) : 0
        }
        // CU_FUNC_ATTRIBUTE_: MAX_THREADS_PER_BLOCK 0, SHARED_SIZE_BYTES 1, LOCAL_SIZE_BYTES 3, NUM_REGS 4.
        kernel.facts = KernelFacts(registersPerThread: attribute(4), localBytesPerThread: attribute(3),
                                   staticSharedBytes: attribute(1), maxThreadsPerBlock: attribute(0))
        return kernel
    }

    // MARK: Memory

    public func allocate(byteCount: Int) throws(DeviceError) -> DeviceBuffer {
        try enter()
        guard byteCount > 0 else { throw DeviceError(.invalidRequest, operation: "cuMemAlloc", "a buffer needs at least one byte") }
        var address: UInt64 = 0
        try driver.check(driver.cuMemAlloc(&address, byteCount), "cuMemAlloc(\(Bytes(byteCount)))")
        let state = context, generation = context.generation
        return DeviceBuffer(byteCount: byteCount, handle: OpaquePointer(bitPattern: UInt(address)), release: { handle in
            state.ifStillCurrent(generation) { state.driver.cuMemFree(UInt64(UInt(bitPattern: handle))) }
        })
    }

    public func allocateHostStaging(byteCount: Int) throws(DeviceError) -> HostStaging {
        try enter()
        var memory: UnsafeMutableRawPointer?
        try driver.check(driver.cuMemAllocHost(&memory, max(byteCount, 1)), "cuMemAllocHost(\(Bytes(byteCount)))")
        let state = context, generation = context.generation
        let box = HostAddress(memory)
        return HostStaging(bytes: UnsafeMutableRawBufferPointer(start: memory, count: byteCount)) {
            state.ifStillCurrent(generation) { state.driver.cuMemFreeHost(box.address) }
        }
    }

    private func address(_ buffer: DeviceBuffer, offset: Int, count: Int, _ operation: String) throws(DeviceError) -> UInt64 {
        guard let handle = buffer.handle, offset >= 0, count >= 0, offset + count <= buffer.byteCount else {
            throw DeviceError(.invalidRequest, operation: operation, "\(count) bytes at offset \(offset) do not fit a buffer of \(buffer.byteCount)")
        }
        return UInt64(UInt(bitPattern: handle)) + UInt64(offset)
    }

    public func write(_ buffer: DeviceBuffer, offset: Int, from source: UnsafeRawBufferPointer) throws(DeviceError) -> TransferTiming {
        try enter()
        let target = try address(buffer, offset: offset, count: source.count, "cuMemcpyHtoD")
        return try timed(bytes: source.count) { () throws(DeviceError) in
            try checkLaunch(driver.cuMemcpyHtoD(target, source.baseAddress, source.count), "cuMemcpyHtoD(\(Bytes(source.count)))")
        }
    }

    public func read(_ buffer: DeviceBuffer, offset: Int, into destination: UnsafeMutableRawBufferPointer) throws(DeviceError) -> TransferTiming {
        try enter()
        let origin = try address(buffer, offset: offset, count: destination.count, "cuMemcpyDtoH")
        return try timed(bytes: destination.count) { () throws(DeviceError) in
            try checkLaunch(driver.cuMemcpyDtoH(destination.baseAddress, origin, destination.count), "cuMemcpyDtoH(\(Bytes(destination.count)))")
        }
    }

    public func fill(_ buffer: DeviceBuffer, pattern: [UInt8]) throws(DeviceError) {
        try enter()
        guard !pattern.isEmpty else { throw DeviceError(.invalidRequest, operation: "fill", "an empty fill pattern") }
        let base = try address(buffer, offset: 0, count: buffer.byteCount, "fill")
        if pattern.allSatisfy({ $0 == pattern[0] }) {
            try checkLaunch(driver.cuMemsetD8(base, pattern[0], buffer.byteCount), "cuMemsetD8")
        } else if pattern.count == 4 {
            let word = UInt32(pattern[0]) | UInt32(pattern[1]) << 8 | UInt32(pattern[2]) << 16 | UInt32(pattern[3]) << 24
            let words = buffer.byteCount / 4
            if words > 0 { try checkLaunch(driver.cuMemsetD32(base, word, words), "cuMemsetD32") }
            for index in (words * 4)..<buffer.byteCount {
                try checkLaunch(driver.cuMemsetD8(base + UInt64(index), pattern[index % 4], 1), "cuMemsetD8")
            }
        } else {
            // Longer patterns: the pattern repeated in host memory, copied in chunks of at most 16 MiB.
            let chunk = min(buffer.byteCount, 16 << 20) / pattern.count * pattern.count
            let bytes = (0..<max(chunk, pattern.count)).map { pattern[$0 % pattern.count] }
            var offset = 0
            while offset < buffer.byteCount {
                let count = min(bytes.count, buffer.byteCount - offset)
                let result = bytes.withUnsafeBytes { driver.cuMemcpyHtoD(base + UInt64(offset), $0.baseAddress, count) }
                try checkLaunch(result, "cuMemcpyHtoD(fill)")
                offset += count
            }
        }
        try checkLaunch(driver.cuCtxSynchronize(), "cuCtxSynchronize(fill)")
    }

    // MARK: Launching

    public func launch(_ kernel: DeviceKernel, global: [Int], local: [Int]?, arguments: [KernelArgument]) throws(DeviceError) -> KernelTiming {
        try enter()
        let start = monotonicNow()
        let device = try timedOnDevice(kernel, global: global, local: local, arguments: arguments, count: 1)
        let host = Seconds(base: monotonicNow() - start)
        return KernelTiming(device: device, queuedToEnd: device, host: host)
    }

    public func launchBackToBack(
        _ kernel: DeviceKernel, global: [Int], local: [Int]?, arguments: [KernelArgument], count: Int
    ) throws(DeviceError) -> BatchTiming {
        try enter()
        let start = monotonicNow()
        let span = try timedOnDevice(kernel, global: global, local: local, arguments: arguments, count: max(count, 1))
        return BatchTiming(count: count, host: Seconds(base: monotonicNow() - start), deviceSpan: span)
    }

    /// Launches `count` times between two events and waits; the device time between them.
    private func timedOnDevice(_ kernel: DeviceKernel, global: [Int], local: [Int]?, arguments: [KernelArgument], count: Int) throws(DeviceError) -> Seconds {
        let geometry = try Self.geometry(kernel.name, global: global, local: local)
        let operation = "cuLaunchKernel(\(kernel.name))"
        var sharedBytes = 0
        var storage: [UnsafeMutableRawPointer] = []
        defer { storage.forEach { $0.deallocate() } }
        for argument in arguments {
            func store<T: BitwiseCopyable>(_ value: T) {
                let memory = UnsafeMutableRawPointer.allocate(byteCount: max(MemoryLayout<T>.size, 8), alignment: 8)
                memory.storeBytes(of: value, as: T.self)
                storage.append(memory)
            }
            switch argument {
            case let .buffer(buffer): store(UInt64(UInt(bitPattern: buffer.handle)))
            case let .int32(v): store(v)
            case let .uint32(v): store(v)
            case let .int64(v): store(v)
            case let .uint64(v): store(v)
            case let .float(v): store(v)
            case let .double(v): store(v)
            case let .bytes(bytes):
                let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 8), alignment: 8)
                bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                storage.append(memory)
            case let .local(byteCount): sharedBytes += byteCount
            }
        }
        // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES (8): past 48 KiB a kernel must opt in.
        if sharedBytes > 48 << 10 {
            try driver.check(driver.cuFuncSetAttribute(kernel.handle, 8, Int32(clamping: sharedBytes)), "cuFuncSetAttribute(\(kernel.name), dynamic shared \(sharedBytes) B)")
        }
        var parameters: [UnsafeMutableRawPointer?] = storage
        try checkLaunch(driver.cuEventRecord(events.start, nil), "cuEventRecord")
        for _ in 0..<count {
            let result = parameters.withUnsafeMutableBufferPointer { list in
                driver.cuLaunchKernel(kernel.handle, geometry.grid[0], geometry.grid[1], geometry.grid[2],
                                      geometry.block[0], geometry.block[1], geometry.block[2],
                                      UInt32(sharedBytes), nil, list.baseAddress, nil)
            }
            try checkLaunch(result, operation)
        }
        try checkLaunch(driver.cuEventRecord(events.end, nil), "cuEventRecord")
        try checkLaunch(driver.cuEventSynchronize(events.end), operation)
        var milliseconds: Float = 0
        try driver.check(driver.cuEventElapsedTime(&milliseconds, events.start, events.end), "cuEventElapsedTime")
        return Seconds(base: Double(milliseconds) * 1e-3)
    }

    /// Grid and block from OpenCL-style sizes; refused here, with the reason, where CUDA would refuse them.
    static func geometry(_ kernel: String, global: [Int], local: [Int]?) throws(DeviceError) -> (grid: [UInt32], block: [UInt32]) {
        let operation = "cuLaunchKernel(\(kernel))"
        guard let local else {
            throw DeviceError(.invalidRequest, operation: operation, "a CUDA launch needs its block size (block: or local:)")
        }
        guard (1...3).contains(global.count), local.count == global.count else {
            throw DeviceError(.invalidRequest, operation: operation, "global \(global) and block \(local) need 1 to 3 dimensions each, alike")
        }
        var grid: [UInt32] = [1, 1, 1], block: [UInt32] = [1, 1, 1]
        let gridLimits = [Int(Int32.max), 65_535, 65_535], blockLimits = [1024, 1024, 64]
        for d in global.indices {
            guard local[d] > 0, global[d] > 0, global[d] % local[d] == 0 else {
                throw DeviceError(.invalidRequest, operation: operation, "global size \(global[d]) in dimension \(d) is not a whole number of blocks of \(local[d])")
            }
            guard local[d] <= blockLimits[d], global[d] / local[d] <= gridLimits[d] else {
                throw DeviceError(.invalidRequest, operation: operation, "block \(local) or grid past CUDA's limits (block x, y up to 1024, z up to 64; grid y, z up to 65535)")
            }
            grid[d] = UInt32(global[d] / local[d])
            block[d] = UInt32(local[d])
        }
        guard local.reduce(1, *) <= 1024 else {
            throw DeviceError(.invalidRequest, operation: operation, "a block of \(local.reduce(1, *)) threads; CUDA allows at most 1024")
        }
        return (grid, block)
    }

    /// Times a synchronous copy with events.
    private func timed(bytes: Int, _ body: () throws(DeviceError) -> Void) throws(DeviceError) -> TransferTiming {
        let start = monotonicNow()
        try checkLaunch(driver.cuEventRecord(events.start, nil), "cuEventRecord")
        try body()
        try checkLaunch(driver.cuEventRecord(events.end, nil), "cuEventRecord")
        try checkLaunch(driver.cuEventSynchronize(events.end), "cuEventSynchronize")
        var milliseconds: Float = 0
        _ = driver.cuEventElapsedTime(&milliseconds, events.start, events.end)
        return TransferTiming(bytes: bytes, device: Seconds(base: Double(milliseconds) * 1e-3), host: Seconds(base: monotonicNow() - start))
    }
}

/// The primary context and its generation: a reset after a fault starts a new generation, and handles of an older
/// one are dropped without calling the driver (their addresses may belong to new allocations by then).
final class ContextState: @unchecked Sendable {
    let driver: CUDADriverAPI
    let device: Int32
    private var context: OpaquePointer?
    private(set) var generation = 0
    private let lock = NSLock()

    init(driver: CUDADriverAPI, device: Int32, context: OpaquePointer?) {
        self.driver = driver
        self.device = device
        self.context = context
    }

    func makeCurrent() throws(DeviceError) {
        lock.lock()
        defer { lock.unlock() }
        if context == nil {
            var fresh: OpaquePointer?
            try driver.check(driver.cuDevicePrimaryCtxRetain(&fresh, device), "cuDevicePrimaryCtxRetain")
            context = fresh
        }
        try driver.check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent")
    }

    /// Drops the faulted context: everything in it is gone; the next `makeCurrent` retains a fresh one.
    func reset() {
        lock.lock()
        defer { lock.unlock() }
        _ = driver.cuDevicePrimaryCtxReset(device)
        _ = driver.cuDevicePrimaryCtxRelease(device)
        context = nil
        generation += 1
    }

    /// Runs a release call with the context current, only while `generation` is still the live one.
    func ifStillCurrent(_ generation: Int, _ release: () -> Int32) {
        lock.lock()
        defer { lock.unlock() }
        guard generation == self.generation, let context else { return }
        _ = driver.cuCtxSetCurrent(context)
        _ = release()
    }

    func release() {
        lock.lock()
        defer { lock.unlock() }
        if context != nil { _ = driver.cuDevicePrimaryCtxRelease(device) }
        context = nil
        generation += 1
    }
}

private final class HostAddress: @unchecked Sendable {
    let address: UnsafeMutableRawPointer?
    init(_ address: UnsafeMutableRawPointer?) { self.address = address }
}

/// The device attributes kernelcast reads (CUdevice_attribute values).
struct CUDADeviceAttributes {
    enum Attribute: Int32 {
        case maxThreadsPerBlock = 1, warpSize = 10, registersPerBlock = 12, clockKHz = 13, multiprocessors = 16
        case l2Bytes = 38, computeMajor = 75, computeMinor = 76, sharedPerBlockOptIn = 97
    }

    let driver: CUDADriverAPI
    let device: Int32

    func value(_ attribute: Attribute) -> Int {
        var value: Int32 = 0
        return driver.cuDeviceGetAttribute(&value, attribute.rawValue, device) == 0 ? Int(value) : 0
    }
}

private func monotonicNow() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
