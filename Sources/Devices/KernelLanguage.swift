/// The source language of a kernel: what a device's compiler takes.
public enum KernelLanguage: String, Sendable, Hashable, CaseIterable, Codable {
    /// OpenCL C, built by the OpenCL runtime of any vendor.
    case opencl
    /// CUDA C++, compiled by NVRTC to PTX; entry points are `extern "C" __global__` functions.
    case cuda
    /// PTX assembly, loaded by the CUDA driver (which JIT-compiles it for the device).
    case ptx
}

/// What the compiler reported for one kernel: the compiler facts the cost model takes instead of its estimates.
public struct KernelFacts: Sendable, Hashable, Codable {
    public var registersPerThread: Int
    /// Local memory per thread: spilled registers and arrays the compiler could not keep in registers.
    public var localBytesPerThread: Int
    /// Shared memory the kernel declares statically (`__shared__`), per block.
    public var staticSharedBytes: Int
    /// The most threads per block the kernel can be launched with (lower than the device's when registers are many).
    public var maxThreadsPerBlock: Int

    public init(registersPerThread: Int, localBytesPerThread: Int, staticSharedBytes: Int, maxThreadsPerBlock: Int) {
        self.registersPerThread = registersPerThread
        self.localBytesPerThread = localBytesPerThread
        self.staticSharedBytes = staticSharedBytes
        self.maxThreadsPerBlock = maxThreadsPerBlock
    }

    /// `40 registers, 0 B local, 8448 B static shared`.
    public var summary: String {
        "\(registersPerThread) registers, \(localBytesPerThread) B local, \(staticSharedBytes) B static shared"
    }
}
