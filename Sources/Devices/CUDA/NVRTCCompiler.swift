import Foundation

/// Compiles CUDA C++ to PTX with NVRTC, in process. It needs no GPU and no driver, so the same compile that a
/// CUDA device does can be checked on a machine with the toolkit (or NVIDIA's `nvidia-cuda-nvrtc` wheel) alone.
public struct NVRTCCompiler: Sendable {
    /// `12.9`: the NVRTC that was loaded.
    public let version: String
    private let api: NVRTCAPI

    /// Loads NVRTC (see `NVRTCAPI.candidates` for where it is looked for).
    public init() throws(DeviceError) {
        api = try NVRTCAPI.shared.get()
        version = "\(api.version.major).\(api.version.minor)"
    }

    /// PTX for `architecture` (`compute_90`), or a `NVRTC_ERROR_COMPILATION` error carrying the compiler's log.
    /// `options` are NVRTC's own (`-DTILE=64 --use_fast_math`), split on white space.
    public func compile(_ source: String, name: String, architecture: String, options: String) throws(DeviceError) -> String {
        var program: OpaquePointer?
        let created = source.withCString { text in name.withCString { api.nvrtcCreateProgram(&program, text, $0, 0, nil, nil) } }
        guard created == 0, program != nil else {
            throw DeviceError(.cuda(api.name(of: created)), operation: "nvrtcCreateProgram(\(name))", "NVRTC could not take the source")
        }
        defer { _ = api.nvrtcDestroyProgram(&program) }
        let arguments = ["--gpu-architecture=\(architecture)", "-default-device"] + options.split(whereSeparator: \.isWhitespace).map(String.init)
        let pointers = arguments.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        let constPointers = pointers.map { UnsafePointer<CChar>($0) }
        let result = constPointers.withUnsafeBufferPointer { api.nvrtcCompileProgram(program, Int32(arguments.count), $0.baseAddress) }
        let log = programLog(program)
        guard result == 0 else {
            throw DeviceError(.cuda(api.name(of: result)), operation: "nvrtcCompileProgram(\(name))",
                              "the CUDA source did not compile for \(architecture) with options \"\(options)\"", buildLog: log)
        }
        var size = 0
        _ = api.nvrtcGetPTXSize(program, &size)
        var ptx = [CChar](repeating: 0, count: max(size, 1))
        let fetched = api.nvrtcGetPTX(program, &ptx)
        guard fetched == 0 else {
            throw DeviceError(.cuda(api.name(of: fetched)), operation: "nvrtcGetPTX(\(name))", "NVRTC compiled but gave no PTX")
        }
        return String(decoding: ptx.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func programLog(_ program: OpaquePointer?) -> String {
        var size = 0
        guard api.nvrtcGetProgramLogSize(program, &size) == 0, size > 1 else { return "" }
        var log = [CChar](repeating: 0, count: size)
        _ = api.nvrtcGetProgramLog(program, &log)
        return String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
