/// Why a device, its runtime or the host topology could not do what was asked.
///
/// One error type for the module: a code (for OpenCL, the status name such as `CL_OUT_OF_RESOURCES`), the operation
/// that failed, a message that says what to do about it, the compiler's build log when a program did not build, and
/// the place in kernelcast that raised it.
public struct DeviceError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// An OpenCL call returned this status.
        case openCL(CLStatus)
        /// A CUDA driver or NVRTC call returned this error (`CUDA_ERROR_ILLEGAL_ADDRESS`, `NVRTC_ERROR_COMPILATION`).
        case cuda(String)
        /// No device matches the selector, or no OpenCL platform is installed.
        case noDevice
        /// The caller asked for something malformed (a bad selector, an argument of the wrong kind).
        case invalidRequest
        /// hwloc could not read the host topology.
        case topology
    }

    public var code: Code
    /// The call or step that failed: `clBuildProgram`, `clEnqueueNDRangeKernel(stream_copy_float4)`.
    public var operation: String
    /// What went wrong and how to fix it.
    public var message: String
    /// The compiler's output for a program that did not build.
    public var buildLog: String?
    /// Where in kernelcast the error was raised.
    public var file: String
    public var line: Int

    public init(
        _ code: Code, operation: String, _ message: String, buildLog: String? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.operation = operation
        self.message = message
        self.buildLog = buildLog
        self.file = file
        self.line = line
    }

    /// `CL_OUT_OF_RESOURCES`, `no-device`, `invalid-request`, `topology`.
    public var name: String {
        switch code {
        case let .openCL(status): status.name
        case let .cuda(name): name
        case .noDevice: "no-device"
        case .invalidRequest: "invalid-request"
        case .topology: "topology"
        }
    }

    /// True for statuses that mean the device (or host) ran out of memory or the allocation was too large.
    public var isOutOfMemory: Bool {
        switch code {
        case let .openCL(status): return status.isOutOfMemory
        case let .cuda(name): return name == "CUDA_ERROR_OUT_OF_MEMORY"
        default: return false
        }
    }

    /// One line (plus the build log, indented, when there is one).
    public var description: String {
        var text = "\(name) in \(operation): \(message)"
        if let buildLog, !buildLog.isEmpty {
            let trimmed = buildLog.split(separator: "\n", omittingEmptySubsequences: true).prefix(40)
            text += "\n  build log:\n" + trimmed.map { "    \($0)" }.joined(separator: "\n")
        }
        return text
    }
}
