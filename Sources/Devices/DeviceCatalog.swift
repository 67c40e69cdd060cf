/// Opens a device by the name a user gives it: `cuda`, `cuda:N` on NVIDIA's driver API, anything else through OpenCL
/// (`opencl:N`, `opencl:P:D`, part of a name; see `DeviceSelector`).
public enum DeviceCatalog {
    public static func open(_ selector: String) throws(DeviceError) -> any ComputeDevice {
        if isCUDA(selector) { return try CUDADevice.open(selector) }
        return try OpenCLRuntime.shared.open(selector)
    }

    /// Whether a selector names a CUDA device.
    public static func isCUDA(_ selector: String) -> Bool {
        let lower = selector.lowercased()
        return lower == "cuda" || lower.hasPrefix("cuda:")
    }
}
