import COpenCL
import Foundation
import MachineModel

/// A device reached through the OpenCL ICD loader: one context and one in-order, profiling-enabled queue.
///
/// Kernel launches, transfers and fills block until the device is done and report the event's device timestamps
/// (CL_PROFILING_COMMAND_QUEUED/START/END) next to the host's wall time. Open one through `OpenCLRuntime.shared`.
public final class OpenCLDevice: ComputeDevice, @unchecked Sendable {
    public let info: DeviceInfo
    private let deviceID: cl_device_id
    private let context: cl_context
    private let queue: cl_command_queue
    /// Kernel arguments are state on the kernel object: setting them and enqueueing happen under one lock.
    private let lock = NSLock()

    init(id: cl_device_id, info: DeviceInfo) throws(DeviceError) {
        self.info = info
        deviceID = id
        var status: cl_int = 0
        var device: cl_device_id? = id
        guard let context = clCreateContext(nil, 1, &device, nil, nil, &status), status == CL_SUCCESS else {
            try OpenCLQuery.check(status == CL_SUCCESS ? CLStatus.outOfResources.rawValue : status, "clCreateContext(\(info.name))")
            fatalError("unreachable")
        }
        var properties: [cl_queue_properties] = [CLQueueProperty.properties, CLQueueProperty.profilingEnable, 0]
        guard let queue = clCreateCommandQueueWithProperties(context, id, &properties, &status), status == CL_SUCCESS else {
            clReleaseContext(context)
            try OpenCLQuery.check(status == CL_SUCCESS ? CLStatus.outOfResources.rawValue : status, "clCreateCommandQueueWithProperties(\(info.name))")
            fatalError("unreachable")
        }
        self.context = context
        self.queue = queue
    }

    deinit {
        clFinish(queue)
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    // MARK: Programs

    public var languages: [KernelLanguage] { [.opencl] }

    public func buildProgram(source: String, options: String, language: KernelLanguage) throws(DeviceError) -> DeviceProgram {
        guard language == .opencl else {
            throw DeviceError(.invalidRequest, operation: "clBuildProgram", "\(info.id) builds OpenCL C, not \(language.rawValue); run \(language.rawValue) kernels on a cuda:N device")
        }
        return try OpenCLRuntime.shared.withBuildLock { () throws(DeviceError) -> DeviceProgram in
            var status: cl_int = 0
            let created: cl_program? = source.withCString { pointer in
                var text: UnsafePointer<CChar>? = pointer
                var length = strlen(pointer)
                return clCreateProgramWithSource(context, 1, &text, &length, &status)
            }
            guard let program = created, status == CL_SUCCESS else {
                try OpenCLQuery.check(status, "clCreateProgramWithSource")
                fatalError("unreachable")
            }
            var device: cl_device_id? = deviceID
            let built = clBuildProgram(program, 1, &device, options, nil, nil)
            if built != CL_SUCCESS {
                let log = buildLog(program)
                clReleaseProgram(program)
                let clStatus = CLStatus(rawValue: built)
                throw DeviceError(.openCL(clStatus), operation: "clBuildProgram",
                                  "the program did not build for \(info.name) with options \"\(options)\"" + firstError(log), buildLog: log)
            }
            return DeviceProgram(source: source, options: options, handle: program, release: { clReleaseProgram($0) })
        }
    }

    /// ": <the log's first error line>", or nothing when the log has none.
    private func firstError(_ log: String) -> String {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("error") }) else { return "" }
        let text = line.count > 240 ? line.prefix(240) + "..." : line
        return ": " + text.trimmingCharacters(in: .whitespaces)
    }

    private func buildLog(_ program: cl_program) -> String {
        var size = 0
        guard clGetProgramBuildInfo(program, deviceID, CLProgramBuildInfo.log, 0, nil, &size) == CL_SUCCESS, size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetProgramBuildInfo(program, deviceID, CLProgramBuildInfo.log, size, &bytes, nil) == CL_SUCCESS else { return "" }
        return bytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func makeKernel(_ program: DeviceProgram, name: String) throws(DeviceError) -> DeviceKernel {
        var status: cl_int = 0
        guard let handle = program.handle, let kernel = clCreateKernel(handle, name, &status), status == CL_SUCCESS else {
            try OpenCLQuery.check(status == CL_SUCCESS ? CLStatus(rawValue: -46).rawValue : status, "clCreateKernel(\(name))")
            fatalError("unreachable")
        }
        return DeviceKernel(name: name, program: program, handle: kernel, release: { clReleaseKernel($0) })
    }

    // MARK: Memory

    public func allocate(byteCount: Int) throws(DeviceError) -> DeviceBuffer {
        guard byteCount > 0 else {
            throw DeviceError(.openCL(.invalidBufferSize), operation: "clCreateBuffer", "a buffer needs at least one byte")
        }
        if Double(byteCount) > info.maxAllocationSize.base, info.maxAllocationSize.base > 0 {
            throw DeviceError(.openCL(.invalidBufferSize), operation: "clCreateBuffer(\(Bytes(byteCount)))",
                              "\(Bytes(byteCount)) is more than the device's largest allocation, \(info.maxAllocationSize); use a smaller size")
        }
        var status: cl_int = 0
        if info.kind == .cpu && info.hostUnifiedMemory && byteCount >= Self.hugePage, let host = Self.hugePageMemory(byteCount) {
            // The buffer lives in host memory advised for transparent huge pages; the runtime frees it once done.
            let flags = CLMemFlags.readWrite | CLMemFlags.useHostPointer
            if let memory = clCreateBuffer(context, flags, byteCount, host, &status), status == CL_SUCCESS {
                clSetMemObjectDestructorCallback(memory, { _, data in free(data) }, host)
                return DeviceBuffer(byteCount: byteCount, handle: memory, release: { clReleaseMemObject($0) })
            }
            free(host)
        }
        guard let memory = clCreateBuffer(context, CLMemFlags.readWrite, byteCount, nil, &status), status == CL_SUCCESS else {
            try OpenCLQuery.check(status == CL_SUCCESS ? CLStatus.memObjectAllocationFailure.rawValue : status, "clCreateBuffer(\(Bytes(byteCount)))")
            fatalError("unreachable")
        }
        return DeviceBuffer(byteCount: byteCount, handle: memory, release: { clReleaseMemObject($0) })
    }

    static let hugePage = 2 << 20

    /// Host memory aligned to 2 MiB and advised MADV_HUGEPAGE, or nil. CPU devices that share host memory get their
    /// large buffers here, as a tuned CPU program would: with 4 KiB pages a random walk past the TLB's reach (8 MiB
    /// on Zen 3) measures page walks, not caches.
    static func hugePageMemory(_ byteCount: Int) -> UnsafeMutableRawPointer? {
        let size = (byteCount + hugePage - 1) / hugePage * hugePage
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, hugePage, size) == 0, let pointer else { return nil }
        #if os(Linux)
        _ = madvise(pointer, size, MADV_HUGEPAGE)
        #endif
        return pointer
    }

    public func allocateHostStaging(byteCount: Int) throws(DeviceError) -> HostStaging {
        var status: cl_int = 0
        let flags = CLMemFlags.readWrite | CLMemFlags.allocHostPointer
        guard let memory = clCreateBuffer(context, flags, byteCount, nil, &status), status == CL_SUCCESS else {
            try OpenCLQuery.check(status == CL_SUCCESS ? CLStatus.memObjectAllocationFailure.rawValue : status, "clCreateBuffer(ALLOC_HOST_PTR, \(Bytes(byteCount)))")
            fatalError("unreachable")
        }
        let mapped = clEnqueueMapBuffer(queue, memory, CLBool.yes, CLMapFlags.readWrite, 0, byteCount, 0, nil, nil, &status)
        guard let mapped, status == CL_SUCCESS else {
            clReleaseMemObject(memory)
            try OpenCLQuery.check(status == CL_SUCCESS ? CLStatus(rawValue: -12).rawValue : status, "clEnqueueMapBuffer(\(Bytes(byteCount)))")
            fatalError("unreachable")
        }
        clRetainCommandQueue(queue)
        let handles = StagingHandles(queue: queue, memory: memory, pointer: mapped)
        return HostStaging(bytes: UnsafeMutableRawBufferPointer(start: mapped, count: byteCount)) {
            clEnqueueUnmapMemObject(handles.queue, handles.memory, handles.pointer, 0, nil, nil)
            clFinish(handles.queue)
            clReleaseMemObject(handles.memory)
            clReleaseCommandQueue(handles.queue)
        }
    }

    public func write(_ buffer: DeviceBuffer, offset: Int, from source: UnsafeRawBufferPointer) throws(DeviceError) -> TransferTiming {
        try checkRange(buffer, offset: offset, count: source.count, "clEnqueueWriteBuffer")
        return try timedTransfer(bytes: source.count, "clEnqueueWriteBuffer(\(Bytes(source.count)))") { event in
            clEnqueueWriteBuffer(queue, buffer.handle, CLBool.no, offset, source.count, source.baseAddress, 0, nil, &event)
        }
    }

    public func read(_ buffer: DeviceBuffer, offset: Int, into destination: UnsafeMutableRawBufferPointer) throws(DeviceError) -> TransferTiming {
        try checkRange(buffer, offset: offset, count: destination.count, "clEnqueueReadBuffer")
        return try timedTransfer(bytes: destination.count, "clEnqueueReadBuffer(\(Bytes(destination.count)))") { event in
            clEnqueueReadBuffer(queue, buffer.handle, CLBool.no, offset, destination.count, destination.baseAddress, 0, nil, &event)
        }
    }

    public func fill(_ buffer: DeviceBuffer, pattern: [UInt8]) throws(DeviceError) {
        guard [1, 2, 4, 8, 16, 32, 64, 128].contains(pattern.count), buffer.byteCount % pattern.count == 0 else {
            throw DeviceError(.invalidRequest, operation: "clEnqueueFillBuffer",
                              "a fill pattern is 1 to 128 bytes, a power of two dividing the buffer size; got \(pattern.count) bytes")
        }
        _ = try timedTransfer(bytes: buffer.byteCount, "clEnqueueFillBuffer(\(Bytes(buffer.byteCount)))") { event in
            pattern.withUnsafeBytes { bytes in
                clEnqueueFillBuffer(queue, buffer.handle, bytes.baseAddress, pattern.count, 0, buffer.byteCount, 0, nil, &event)
            }
        }
    }

    private func checkRange(_ buffer: DeviceBuffer, offset: Int, count: Int, _ operation: String) throws(DeviceError) {
        guard offset >= 0, count >= 0, offset + count <= buffer.byteCount else {
            throw DeviceError(.invalidRequest, operation: operation,
                              "bytes \(offset)..<\(offset + count) fall outside the \(buffer.byteCount)-byte buffer")
        }
    }

    private func timedTransfer(bytes: Int, _ operation: String, _ enqueue: (inout cl_event?) -> cl_int) throws(DeviceError) -> TransferTiming {
        lock.lock()
        defer { lock.unlock() }
        var event: cl_event?
        let start = monotonicSeconds()
        try OpenCLQuery.check(enqueue(&event), operation)
        guard let event else { throw DeviceError(.invalidRequest, operation: operation, "the runtime returned no event") }
        defer { clReleaseEvent(event) }
        try wait(event, operation)
        let host = monotonicSeconds() - start
        let times = try profile(event, operation)
        return TransferTiming(bytes: bytes, device: Seconds(base: times.end - times.start), host: Seconds(base: host))
    }

    // MARK: Launches

    public func launch(_ kernel: DeviceKernel, global: [Int], local: [Int]?, arguments: [KernelArgument]) throws(DeviceError) -> KernelTiming {
        lock.lock()
        defer { lock.unlock() }
        let operation = "clEnqueueNDRangeKernel(\(kernel.name))"
        try setArguments(kernel, arguments)
        var event: cl_event?
        let start = monotonicSeconds()
        try enqueue(kernel, global: global, local: local, event: &event, operation)
        guard let event else { throw DeviceError(.invalidRequest, operation: operation, "the runtime returned no event") }
        defer { clReleaseEvent(event) }
        try wait(event, operation)
        let host = monotonicSeconds() - start
        let times = try profile(event, operation)
        return KernelTiming(
            device: Seconds(base: times.end - times.start), queuedToEnd: Seconds(base: times.end - times.queued),
            host: Seconds(base: host))
    }

    public func launchBackToBack(
        _ kernel: DeviceKernel, global: [Int], local: [Int]?, arguments: [KernelArgument], count: Int
    ) throws(DeviceError) -> BatchTiming {
        precondition(count >= 2, "a back-to-back batch needs at least two launches")
        lock.lock()
        defer { lock.unlock() }
        let operation = "clEnqueueNDRangeKernel(\(kernel.name)) x\(count)"
        try setArguments(kernel, arguments)
        var first: cl_event?
        var last: cl_event?
        let start = monotonicSeconds()
        try enqueue(kernel, global: global, local: local, event: &first, operation)
        for _ in 1..<(count - 1) { try enqueue(kernel, global: global, local: local, event: nil, operation) }
        try enqueue(kernel, global: global, local: local, event: &last, operation)
        try OpenCLQuery.check(clFinish(queue), "clFinish after \(operation)")
        let host = monotonicSeconds() - start
        guard let first, let last else { throw DeviceError(.invalidRequest, operation: operation, "the runtime returned no event") }
        defer { clReleaseEvent(first); clReleaseEvent(last) }
        try wait(last, operation)
        let begin = try profile(first, operation).start
        let end = try profile(last, operation).end
        return BatchTiming(count: count, host: Seconds(base: host), deviceSpan: Seconds(base: end - begin))
    }

    private func enqueue(
        _ kernel: DeviceKernel, global: [Int], local: [Int]?, event: UnsafeMutablePointer<cl_event?>?, _ operation: String
    ) throws(DeviceError) {
        guard !global.isEmpty, global.count <= 3, local == nil || local!.count == global.count else {
            throw DeviceError(.invalidRequest, operation: operation, "an NDRange has 1 to 3 dimensions, local matching global")
        }
        let globalSizes = global.map { Int($0) }
        let status: cl_int = globalSizes.withUnsafeBufferPointer { g in
            if let local {
                return local.withUnsafeBufferPointer { l in
                    clEnqueueNDRangeKernel(queue, kernel.handle, cl_uint(global.count), nil, g.baseAddress, l.baseAddress, 0, nil, event)
                }
            }
            return clEnqueueNDRangeKernel(queue, kernel.handle, cl_uint(global.count), nil, g.baseAddress, nil, 0, nil, event)
        }
        try OpenCLQuery.check(status, operation + " global \(global) local \(local.map { "\($0)" } ?? "auto")")
    }

    private func setArguments(_ kernel: DeviceKernel, _ arguments: [KernelArgument]) throws(DeviceError) {
        for (index, argument) in arguments.enumerated() {
            let i = cl_uint(index)
            let status: cl_int
            switch argument {
            case let .buffer(buffer):
                var memory: cl_mem? = buffer.handle
                status = clSetKernelArg(kernel.handle, i, MemoryLayout<cl_mem?>.size, &memory)
            case var .int32(value): status = clSetKernelArg(kernel.handle, i, 4, &value)
            case var .uint32(value): status = clSetKernelArg(kernel.handle, i, 4, &value)
            case var .int64(value): status = clSetKernelArg(kernel.handle, i, 8, &value)
            case var .uint64(value): status = clSetKernelArg(kernel.handle, i, 8, &value)
            case var .float(value): status = clSetKernelArg(kernel.handle, i, 4, &value)
            case var .double(value): status = clSetKernelArg(kernel.handle, i, 8, &value)
            case let .bytes(bytes):
                status = bytes.withUnsafeBytes { clSetKernelArg(kernel.handle, i, bytes.count, $0.baseAddress) }
            case let .local(byteCount): status = clSetKernelArg(kernel.handle, i, byteCount, nil)
            }
            try OpenCLQuery.check(status, "clSetKernelArg(\(kernel.name), \(index))")
        }
    }

    /// Waits for an event; a command that failed on the device reports its own status (CL_OUT_OF_RESOURCES, ...).
    private func wait(_ event: cl_event, _ operation: String) throws(DeviceError) {
        var list: cl_event? = event
        let status = clWaitForEvents(1, &list)
        var execution: cl_int = 0
        clGetEventInfo(event, cl_event_info(CL_EVENT_COMMAND_EXECUTION_STATUS), 4, &execution, nil)
        if execution < 0 { try OpenCLQuery.check(execution, operation) }
        try OpenCLQuery.check(status, operation)
    }

    private func profile(_ event: cl_event, _ operation: String) throws(DeviceError) -> (queued: Double, start: Double, end: Double) {
        func read(_ param: cl_profiling_info) throws(DeviceError) -> Double {
            var value: cl_ulong = 0
            try OpenCLQuery.check(clGetEventProfilingInfo(event, param, 8, &value, nil), "clGetEventProfilingInfo after \(operation)")
            return Double(value) * 1e-9
        }
        return (try read(CLProfilingInfo.queued), try read(CLProfilingInfo.start), try read(CLProfilingInfo.end))
    }
}

/// Handles a pinned staging area needs to give itself back; raw pointers, used on one thread at a time.
private struct StagingHandles: @unchecked Sendable {
    let queue: cl_command_queue
    let memory: cl_mem
    let pointer: UnsafeMutableRawPointer
}

/// Seconds on the host's monotonic clock.
public func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
