import Foundation

/// NVIDIA's driver API and NVRTC, opened with dlopen at run time, so that kernelcast builds, and runs everything
/// but CUDA candidates, on machines without CUDA. Only the entry points kernelcast calls are looked up; a missing
/// library or symbol is a `no-device` error that says what to install or set.
final class CUDADriverAPI: @unchecked Sendable {
    typealias Result = Int32
    typealias Pointer = OpaquePointer?

    let cuInit: @convention(c) (UInt32) -> Result
    let cuDriverGetVersion: @convention(c) (UnsafeMutablePointer<Int32>) -> Result
    let cuDeviceGetCount: @convention(c) (UnsafeMutablePointer<Int32>) -> Result
    let cuDeviceGet: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Result
    let cuDeviceGetName: @convention(c) (UnsafeMutablePointer<CChar>, Int32, Int32) -> Result
    let cuDeviceGetAttribute: @convention(c) (UnsafeMutablePointer<Int32>, Int32, Int32) -> Result
    let cuDeviceTotalMem: @convention(c) (UnsafeMutablePointer<Int>, Int32) -> Result
    let cuDevicePrimaryCtxRetain: @convention(c) (UnsafeMutablePointer<Pointer>, Int32) -> Result
    let cuDevicePrimaryCtxRelease: @convention(c) (Int32) -> Result
    let cuDevicePrimaryCtxReset: @convention(c) (Int32) -> Result
    let cuCtxSetCurrent: @convention(c) (Pointer) -> Result
    let cuCtxSynchronize: @convention(c) () -> Result
    let cuModuleLoadDataEx: @convention(c) (
        UnsafeMutablePointer<Pointer>, UnsafeRawPointer, UInt32, UnsafeMutablePointer<Int32>?,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    ) -> Result
    let cuModuleUnload: @convention(c) (Pointer) -> Result
    let cuModuleGetFunction: @convention(c) (UnsafeMutablePointer<Pointer>, Pointer, UnsafePointer<CChar>) -> Result
    let cuFuncGetAttribute: @convention(c) (UnsafeMutablePointer<Int32>, Int32, Pointer) -> Result
    let cuFuncSetAttribute: @convention(c) (Pointer, Int32, Int32) -> Result
    let cuMemAlloc: @convention(c) (UnsafeMutablePointer<UInt64>, Int) -> Result
    let cuMemFree: @convention(c) (UInt64) -> Result
    let cuMemAllocHost: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int) -> Result
    let cuMemFreeHost: @convention(c) (UnsafeMutableRawPointer?) -> Result
    let cuMemcpyHtoD: @convention(c) (UInt64, UnsafeRawPointer?, Int) -> Result
    let cuMemcpyDtoH: @convention(c) (UnsafeMutableRawPointer?, UInt64, Int) -> Result
    let cuMemsetD8: @convention(c) (UInt64, UInt8, Int) -> Result
    let cuMemsetD32: @convention(c) (UInt64, UInt32, Int) -> Result
    let cuLaunchKernel: @convention(c) (
        Pointer, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, Pointer,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    ) -> Result
    let cuEventCreate: @convention(c) (UnsafeMutablePointer<Pointer>, UInt32) -> Result
    let cuEventDestroy: @convention(c) (Pointer) -> Result
    let cuEventRecord: @convention(c) (Pointer, Pointer) -> Result
    let cuEventSynchronize: @convention(c) (Pointer) -> Result
    let cuEventElapsedTime: @convention(c) (UnsafeMutablePointer<Float>, Pointer, Pointer) -> Result
    let cuGetErrorName: @convention(c) (Result, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Result

    /// The driver, opened once per process; nil with the reason when it cannot be.
    static let shared: Swift.Result<CUDADriverAPI, DeviceError> = {
        do throws(DeviceError) { return .success(try CUDADriverAPI()) } catch { return .failure(error) }
    }()

    private init() throws(DeviceError) {
        let library = try openLibrary(["libcuda.so.1", "libcuda.so"], what: "the CUDA driver (libcuda)",
                                      remedy: "install NVIDIA's driver, or run CUDA candidates on a machine that has one")
        func load<T>(_ name: String, as _: T.Type = T.self) throws(DeviceError) -> T {
            try symbol(library, name, library: "libcuda")
        }
        cuInit = try load("cuInit")
        cuDriverGetVersion = try load("cuDriverGetVersion")
        cuDeviceGetCount = try load("cuDeviceGetCount")
        cuDeviceGet = try load("cuDeviceGet")
        cuDeviceGetName = try load("cuDeviceGetName")
        cuDeviceGetAttribute = try load("cuDeviceGetAttribute")
        cuDeviceTotalMem = try load("cuDeviceTotalMem_v2")
        cuDevicePrimaryCtxRetain = try load("cuDevicePrimaryCtxRetain")
        cuDevicePrimaryCtxRelease = try load("cuDevicePrimaryCtxRelease_v2")
        cuDevicePrimaryCtxReset = try load("cuDevicePrimaryCtxReset_v2")
        cuCtxSetCurrent = try load("cuCtxSetCurrent")
        cuCtxSynchronize = try load("cuCtxSynchronize")
        cuModuleLoadDataEx = try load("cuModuleLoadDataEx")
        cuModuleUnload = try load("cuModuleUnload")
        cuModuleGetFunction = try load("cuModuleGetFunction")
        cuFuncGetAttribute = try load("cuFuncGetAttribute")
        cuFuncSetAttribute = try load("cuFuncSetAttribute")
        cuMemAlloc = try load("cuMemAlloc_v2")
        cuMemFree = try load("cuMemFree_v2")
        cuMemAllocHost = try load("cuMemAllocHost_v2")
        cuMemFreeHost = try load("cuMemFreeHost")
        cuMemcpyHtoD = try load("cuMemcpyHtoD_v2")
        cuMemcpyDtoH = try load("cuMemcpyDtoH_v2")
        cuMemsetD8 = try load("cuMemsetD8_v2")
        cuMemsetD32 = try load("cuMemsetD32_v2")
        cuLaunchKernel = try load("cuLaunchKernel")
        cuEventCreate = try load("cuEventCreate")
        cuEventDestroy = try load("cuEventDestroy_v2")
        cuEventRecord = try load("cuEventRecord")
        cuEventSynchronize = try load("cuEventSynchronize")
        cuEventElapsedTime = try load("cuEventElapsedTime")
        cuGetErrorName = try load("cuGetErrorName")
    }

    /// `CUDA_ERROR_ILLEGAL_ADDRESS` for 700.
    func name(of result: Result) -> String {
        var text: UnsafePointer<CChar>?
        guard cuGetErrorName(result, &text) == 0, let text else { return "CUDA_ERROR_\(result)" }
        return String(cString: text)
    }

    /// Throws a `DeviceError` naming the call when `result` is not CUDA_SUCCESS.
    func check(_ result: Result, _ operation: @autoclosure () -> String, remedy: String = "") throws(DeviceError) {
        guard result != 0 else { return }
        let name = name(of: result)
        let advice = remedy.isEmpty ? CUDADriverAPI.remedy(for: name) : remedy
        throw DeviceError(.cuda(name), operation: operation(), advice)
    }

    /// Errors after which the context is unusable until it is reset (the driver's "sticky" errors).
    static func isSticky(_ name: String) -> Bool {
        ["CUDA_ERROR_ILLEGAL_ADDRESS", "CUDA_ERROR_LAUNCH_TIMEOUT", "CUDA_ERROR_HARDWARE_STACK_ERROR",
         "CUDA_ERROR_ILLEGAL_INSTRUCTION", "CUDA_ERROR_MISALIGNED_ADDRESS", "CUDA_ERROR_INVALID_ADDRESS_SPACE",
         "CUDA_ERROR_INVALID_PC", "CUDA_ERROR_LAUNCH_FAILED", "CUDA_ERROR_ASSERT"].contains(name)
    }

    static func remedy(for name: String) -> String {
        switch name {
        case "CUDA_ERROR_OUT_OF_MEMORY": "the device has not that much memory free; use a smaller size"
        case "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES": "the kernel needs more registers or shared memory than a block of this size gets; launch smaller blocks"
        case "CUDA_ERROR_INVALID_VALUE": "an argument was out of range for the call (block size, shared memory, offsets)"
        case "CUDA_ERROR_NOT_FOUND": "no kernel of that name; declare the entry point extern \"C\" __global__"
        case "CUDA_ERROR_INVALID_PTX", "CUDA_ERROR_UNSUPPORTED_PTX_VERSION": "the driver could not compile the PTX for this device; see the log"
        case "CUDA_ERROR_NO_DEVICE", "CUDA_ERROR_NOT_INITIALIZED": "no CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)"
        default: isSticky(name) ? "the kernel faulted; the context was reset and its buffers are gone" : "see NVIDIA's documentation of the error"
        }
    }
}

/// NVRTC: CUDA C++ to PTX in process.
final class NVRTCAPI: @unchecked Sendable {
    typealias Result = Int32
    typealias Program = OpaquePointer?

    let version: (major: Int32, minor: Int32)
    let nvrtcCreateProgram: @convention(c) (
        UnsafeMutablePointer<Program>, UnsafePointer<CChar>, UnsafePointer<CChar>?, Int32,
        UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?
    ) -> Result
    let nvrtcDestroyProgram: @convention(c) (UnsafeMutablePointer<Program>) -> Result
    let nvrtcCompileProgram: @convention(c) (Program, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Result
    let nvrtcGetProgramLogSize: @convention(c) (Program, UnsafeMutablePointer<Int>) -> Result
    let nvrtcGetProgramLog: @convention(c) (Program, UnsafeMutablePointer<CChar>) -> Result
    let nvrtcGetPTXSize: @convention(c) (Program, UnsafeMutablePointer<Int>) -> Result
    let nvrtcGetPTX: @convention(c) (Program, UnsafeMutablePointer<CChar>) -> Result
    let nvrtcGetErrorString: @convention(c) (Result) -> UnsafePointer<CChar>?

    static let shared: Swift.Result<NVRTCAPI, DeviceError> = {
        do throws(DeviceError) { return .success(try NVRTCAPI()) } catch { return .failure(error) }
    }()

    /// Where NVRTC is looked for: `$KERNELCAST_NVRTC` first, then the loader's path, then CUDA's usual folders.
    static var candidates: [String] {
        let environment = ProcessInfo.processInfo.environment
        var names: [String] = []
        if let path = environment["KERNELCAST_NVRTC"], !path.isEmpty { names.append(path) }
        let versions = ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"]
        names += versions
        var folders = ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu"]
        if let home = environment["CUDA_HOME"] ?? environment["CUDA_PATH"] { folders.insert(home + "/lib64", at: 0) }
        for folder in folders { names += versions.map { folder + "/" + $0 } }
        return names
    }

    private init() throws(DeviceError) {
        let library = try openLibrary(Self.candidates, what: "NVRTC (libnvrtc)",
                                      remedy: "install the CUDA toolkit, or set KERNELCAST_NVRTC to libnvrtc.so's path")
        func load<T>(_ name: String, as _: T.Type = T.self) throws(DeviceError) -> T {
            try symbol(library, name, library: "libnvrtc")
        }
        let nvrtcVersion: @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Result = try load("nvrtcVersion")
        var major: Int32 = 0, minor: Int32 = 0
        _ = nvrtcVersion(&major, &minor)
        version = (major, minor)
        nvrtcCreateProgram = try load("nvrtcCreateProgram")
        nvrtcDestroyProgram = try load("nvrtcDestroyProgram")
        nvrtcCompileProgram = try load("nvrtcCompileProgram")
        nvrtcGetProgramLogSize = try load("nvrtcGetProgramLogSize")
        nvrtcGetProgramLog = try load("nvrtcGetProgramLog")
        nvrtcGetPTXSize = try load("nvrtcGetPTXSize")
        nvrtcGetPTX = try load("nvrtcGetPTX")
        nvrtcGetErrorString = try load("nvrtcGetErrorString")
    }

    func name(of result: Result) -> String {
        nvrtcGetErrorString(result).map { String(cString: $0) } ?? "NVRTC_ERROR_\(result)"
    }
}

/// The first of `names` that dlopen opens.
private func openLibrary(_ names: [String], what: String, remedy: String) throws(DeviceError) -> UnsafeMutableRawPointer {
    var lastError = ""
    for name in names {
        if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) { return handle }
        if let error = dlerror() { lastError = String(cString: error) }
    }
    throw DeviceError(.noDevice, operation: "dlopen", "cannot load \(what) (\(lastError)); \(remedy)")
}

private func symbol<T>(_ library: UnsafeMutableRawPointer, _ name: String, library label: String) throws(DeviceError) -> T {
    guard let address = dlsym(library, name) else {
        throw DeviceError(.noDevice, operation: "dlsym(\(name))", "\(label) has no \(name); it is older than kernelcast needs (CUDA 11.2 or later)")
    }
    return unsafeBitCast(address, to: T.self)
}
