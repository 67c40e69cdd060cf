import COpenCL
import Foundation
import MachineModel

/// Typed reads of clGetPlatformInfo and clGetDeviceInfo.
enum OpenCLQuery {
    static func check(_ status: cl_int, _ operation: String, file: String = #fileID, line: Int = #line) throws(DeviceError) {
        guard status != CL_SUCCESS else { return }
        let clStatus = CLStatus(rawValue: status)
        throw DeviceError(.openCL(clStatus), operation: operation, remedy(for: clStatus, operation: operation), file: file, line: line)
    }

    /// A sentence saying what a status usually means and what to try.
    static func remedy(for status: CLStatus, operation: String) -> String {
        switch status.rawValue {
        case -4, -61: "the device could not provide the memory; use a smaller size (see CL_DEVICE_MAX_MEM_ALLOC_SIZE)"
        case -5: "the device ran out of resources (memory, registers or a watchdog); use a smaller size or fewer work-items"
        case -6: "the host ran out of memory"
        case -11: "the kernel did not compile; see the build log"
        case -54, -55: "the work-group size does not fit the kernel or device; use a smaller local size"
        case -1001: "no OpenCL platform is installed; install an ICD (pocl-opencl-icd, the NVIDIA driver) or set OCL_ICD_VENDORS"
        case -1: "the platform has no device of that type"
        // Not in any header: NVIDIA's driver returns it after a kernel faulted (seen on an H100 with an illegal address).
        case -9999: "the kernel faulted (NVIDIA's code for an illegal address); the context is unusable after it (verify --isolate keeps that from other candidates)"
        default: "the OpenCL runtime refused the call"
        }
    }

    static func platformString(_ platform: cl_platform_id, _ param: cl_platform_info) -> String {
        var size = 0
        guard clGetPlatformInfo(platform, param, 0, nil, &size) == CL_SUCCESS, size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetPlatformInfo(platform, param, size, &bytes, nil) == CL_SUCCESS else { return "" }
        return text(bytes)
    }

    static func deviceString(_ device: cl_device_id, _ param: cl_device_info) -> String? {
        var size = 0
        guard clGetDeviceInfo(device, param, 0, nil, &size) == CL_SUCCESS, size > 0 else { return nil }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetDeviceInfo(device, param, size, &bytes, nil) == CL_SUCCESS else { return nil }
        return text(bytes)
    }

    /// A fixed-size value (cl_uint, cl_ulong, size_t, cl_bool, enums); nil when the query is not supported.
    static func deviceValue<T: BitwiseCopyable>(_ device: cl_device_id, _ param: cl_device_info, as _: T.Type) -> T? {
        var size = 0
        guard clGetDeviceInfo(device, param, 0, nil, &size) == CL_SUCCESS, size == MemoryLayout<T>.size else { return nil }
        return withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { storage -> T? in
            guard clGetDeviceInfo(device, param, size, storage.baseAddress, nil) == CL_SUCCESS else { return nil }
            return storage[0]
        }
    }

    private static func text(_ bytes: [CChar]) -> String {
        let raw = bytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return raw.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func deviceInfo(
        _ device: cl_device_id, index: Int, platformIndex: Int, deviceIndex: Int, platformName: String, platformVersion: String
    ) -> DeviceInfo {
        let type = deviceValue(device, CLDeviceInfo.type, as: cl_device_type.self) ?? 0
        let kind: DeviceInfo.Kind =
            type & CLDeviceType.gpu != 0 ? .gpu
            : type & CLDeviceType.cpu != 0 ? .cpu
            : type & CLDeviceType.accelerator != 0 ? .accelerator : .other
        let clockMHz = deviceValue(device, CLDeviceInfo.maxClockFrequency, as: cl_uint.self) ?? 0
        let cacheType = deviceValue(device, CLDeviceInfo.globalMemCacheType, as: cl_device_mem_cache_type.self) ?? CLCacheType.none
        let cacheSize = deviceValue(device, CLDeviceInfo.globalMemCacheSize, as: cl_ulong.self) ?? 0
        let lineSize = deviceValue(device, CLDeviceInfo.globalMemCachelineSize, as: cl_uint.self) ?? 0
        let resolution = deviceValue(device, CLDeviceInfo.profilingTimerResolution, as: Int.self) ?? 1
        let extensions = (deviceString(device, CLDeviceInfo.extensions) ?? "").split(separator: " ").map(String.init)

        var facts = DeviceInfo.VendorFacts()
        if extensions.contains("cl_nv_device_attribute_query") {
            if let major = deviceValue(device, CLDeviceInfo.computeCapabilityMajorNV, as: cl_uint.self),
               let minor = deviceValue(device, CLDeviceInfo.computeCapabilityMinorNV, as: cl_uint.self) {
                facts.computeCapability = "\(major).\(minor)"
            }
            facts.warpWidth = deviceValue(device, CLDeviceInfo.warpSizeNV, as: cl_uint.self).map(Int.init)
            facts.registersPerBlock = deviceValue(device, CLDeviceInfo.registersPerBlockNV, as: cl_uint.self).map(Int.init)
        }
        if extensions.contains("cl_amd_device_attribute_query") {
            facts.warpWidth = deviceValue(device, CLDeviceInfo.wavefrontWidthAMD, as: cl_uint.self).map(Int.init)
            facts.boardName = deviceString(device, CLDeviceInfo.boardNameAMD)
            if let major = deviceValue(device, CLDeviceInfo.graphicsIPMajorAMD, as: cl_uint.self),
               let minor = deviceValue(device, CLDeviceInfo.graphicsIPMinorAMD, as: cl_uint.self) {
                facts.graphicsIP = "\(major).\(minor)"
            }
        }

        return DeviceInfo(
            id: "opencl:\(platformIndex):\(deviceIndex)",
            index: index,
            name: deviceString(device, CLDeviceInfo.name) ?? "unnamed device",
            vendor: deviceString(device, CLDeviceInfo.vendor) ?? "",
            driverVersion: deviceString(device, CLDeviceInfo.driverVersion) ?? "",
            deviceVersion: deviceString(device, CLDeviceInfo.version) ?? "",
            platformName: platformName,
            platformVersion: platformVersion,
            kind: kind,
            computeUnits: Int(deviceValue(device, CLDeviceInfo.maxComputeUnits, as: cl_uint.self) ?? 1),
            maxClock: clockMHz > 0 ? Hertz(base: Double(clockMHz) * 1e6) : nil,
            globalMemorySize: Bytes(base: Double(deviceValue(device, CLDeviceInfo.globalMemSize, as: cl_ulong.self) ?? 0)),
            maxAllocationSize: Bytes(base: Double(deviceValue(device, CLDeviceInfo.maxMemAllocSize, as: cl_ulong.self) ?? 0)),
            localMemorySize: Bytes(base: Double(deviceValue(device, CLDeviceInfo.localMemSize, as: cl_ulong.self) ?? 0)),
            localMemoryIsDedicated: deviceValue(device, CLDeviceInfo.localMemType, as: cl_device_local_mem_type.self) == CLLocalMemType.local,
            maxWorkGroupSize: deviceValue(device, CLDeviceInfo.maxWorkGroupSize, as: Int.self) ?? 1,
            globalCacheSize: cacheType != CLCacheType.none && cacheSize > 0 ? Bytes(base: Double(cacheSize)) : nil,
            globalCacheLineSize: cacheType != CLCacheType.none && lineSize > 0 ? Bytes(base: Double(lineSize)) : nil,
            timerResolution: Seconds(base: Double(max(resolution, 1)) * 1e-9),
            hostUnifiedMemory: (deviceValue(device, CLDeviceInfo.hostUnifiedMemory, as: cl_bool.self) ?? CLBool.no) == CLBool.yes,
            nativeFloatVectorWidth: Int(deviceValue(device, CLDeviceInfo.nativeVectorWidthFloat, as: cl_uint.self) ?? 1),
            extensions: extensions,
            vendorFacts: facts)
    }
}
