import Foundation
import Testing
@testable import MachineModel

/// Each malformed file gives its own one-line error naming file, line, column, field and what was expected.
@Suite struct BadMachineFileTests {
    static let base = """
        version: 1
        name: tiny
        kind: gpu
        identity:
          vendor: Example
          product: Tiny GPU
          architecture: Test
        sources:
          sheet: "Example datasheet"
        compute:
          unit_name: SM
          unit_count: {value: 4, spec: sheet}
          base_clock: {value: 1000 MHz, spec: sheet}
          boost_clock: {value: 1500 MHz, spec: sheet}
          warp_width: {value: 32, spec: sheet}
        occupancy:
          max_threads_per_unit: {value: 2048, spec: sheet}
          max_warps_per_unit: {value: 64, spec: sheet}
          max_blocks_per_unit: {value: 32, spec: sheet}
          max_threads_per_block: {value: 1024, spec: sheet}
          registers_per_unit: {value: 65536, spec: sheet}
          max_registers_per_thread: {value: 255, spec: sheet}
          register_allocation_unit: {value: 256, spec: sheet}
          shared_memory_per_unit: {value: 100 KiB, spec: sheet}
          max_shared_memory_per_block: {value: 99 KiB, spec: sheet}
          reserved_shared_memory_per_block: {value: 1 KiB, spec: sheet}
          shared_memory_allocation_unit: {value: 128 B, spec: sheet}
        memory:
          - name: l2
            kind: cache
            scope: device
            size: {value: 4 MiB, spec: sheet}
          - name: dram
            kind: dram
            scope: device
            size: {value: 16 GiB, spec: sheet}
            bandwidth: {value: 300 GB/s, spec: sheet}

        """

    @Test func baseFileIsValid() throws {
        _ = try MachineFile.parse(Self.base, file: "tiny.yaml")
    }

    static let cases: [(String, String, String, String)] = [
        ("unknown field", "  unit_name: SM", "  unit_name: SM\n  unit_cont: {value: 4, spec: sheet}",
         "tiny.yaml:12:3: error: compute.unit_cont: unknown field; expected one of base_clock, block_dispatch_interval, boost_clock, peak, special_function_rate, sustained_matrix_rate, unit_count, unit_name, warp_width"),
        ("missing unit", "size: {value: 4 MiB, spec: sheet}", "size: {value: 4, spec: sheet}",
         "tiny.yaml:32:19: error: memory[0].size.value: expected a size with a unit such as \"50 MiB\", got \"4\""),
        ("wrong unit", "bandwidth: {value: 300 GB/s, spec: sheet}", "bandwidth: {value: 300 GHz, spec: sheet}",
         "tiny.yaml:37:24: error: memory[1].bandwidth.value: unknown unit \"GHz\" for a bandwidth; expected one of B/s, KB/s, MB/s, GB/s, TB/s, PB/s, KiB/s, MiB/s, GiB/s, TiB/s"),
        ("negative size", "size: {value: 16 GiB, spec: sheet}", "size: {value: -16 GiB, spec: sheet}",
         "tiny.yaml:36:19: error: memory[1].size.value: expected a non-negative size, got \"-16 GiB\""),
        ("cache larger than the level below", "size: {value: 4 MiB, spec: sheet}", "size: {value: 32 GiB, spec: sheet}",
         "tiny.yaml:32:11: error: memory.l2.size: 32 GiB is larger than the next level out, dram (16 GiB); levels go innermost first"),
        ("duplicate level names", "  - name: dram", "  - name: l2",
         "tiny.yaml:33:11: error: memory[1].name: duplicate level name \"l2\"; each level needs its own name"),
        ("missing provenance", "unit_count: {value: 4, spec: sheet}", "unit_count: 4",
         "tiny.yaml:12:15: error: compute.unit_count: expected {value: ..., spec: SOURCE} (or measured/detected/derived), got \"4\" without provenance"),
        ("two provenances", "unit_count: {value: 4, spec: sheet}", "unit_count: {value: 4, spec: sheet, measured: run-1}",
         "tiny.yaml:12:39: error: compute.unit_count.measured: a number has one provenance; remove all but one of spec, measured, detected, derived"),
        ("undeclared source", "warp_width: {value: 32, spec: sheet}", "warp_width: {value: 32, spec: guide}",
         "tiny.yaml:15:27: error: compute.warp_width.spec: source \"guide\" is not declared under sources"),
        ("newer version", "version: 1", "version: 2",
         "tiny.yaml:1:1: error: version: version 2 is not supported; this kernelcast reads versions 1 to 1"),
        ("wrong kind", "kind: gpu", "kind: tpu",
         "tiny.yaml:3:7: error: kind: expected one of gpu, cpu, got \"tpu\""),
        ("base clock above boost", "base_clock: {value: 1000 MHz", "base_clock: {value: 2000 MHz",
         "tiny.yaml:13:15: error: compute.base_clock: base clock 2 GHz is above boost clock 1.5 GHz"),
        ("shared memory per block above per unit", "max_shared_memory_per_block: {value: 99 KiB", "max_shared_memory_per_block: {value: 200 KiB",
         "tiny.yaml:25:32: error: occupancy.max_shared_memory_per_block: 200 KiB per block is more than the 100 KiB a unit has"),
        ("missing required field", "  architecture: Test\n", "",
         "tiny.yaml:5:3: error: identity.architecture: missing required field"),
        ("duplicate key", "  vendor: Example", "  vendor: Example\n  vendor: Other",
         "tiny.yaml:5:3: error: vendor: duplicate key; each key may appear once in a mapping"),
        ("unknown element op", "memory:\n", "element_ops:\n  gelu_err: {value: 37, spec: sheet}\nmemory:\n",
         "tiny.yaml:29:3: error: element_ops.gelu_err: unknown op \"gelu_err\"; did you mean gelu_erf? expected one of add, mul, scale, bias, residual, relu, gelu_tanh, gelu_erf, silu, sigmoid, tanh, exp, log, rsqrt, div, square, cast, dropout"),
        ("element op cost out of range", "memory:\n", "element_ops:\n  gelu_erf: {value: 0, spec: sheet}\nmemory:\n",
         "tiny.yaml:29:21: error: element_ops.gelu_erf.value: expected issue slots per element above 0 and at most 10000, got 0.0"),
        ("a count past any device", "max_warps_per_unit: {value: 64,", "max_warps_per_unit: {value: 4611686018427387904,",
         "tiny.yaml:18:31: error: occupancy.max_warps_per_unit.value: expected a count of at most 16777216, got 4611686018427387904"),
        ("a zero bandwidth", "bandwidth: {value: 300 GB/s,", "bandwidth: {value: 0 GB/s,", "tiny.yaml:37:24: error: memory[1].bandwidth.value: expected a bandwidth above 0 and at most 10 PB/s, got \"0 GB/s\""),
        ("a size past any device", "size: {value: 16 GiB,", "size: {value: 1e30 KiB,", "tiny.yaml:36:19: error: memory[1].size.value: expected a size of at least 0 and at most 1048576 TiB, got \"1e30 KiB\""),
        ("not a whole number", "unit_count: {value: 4,", "unit_count: {value: four,",
         "tiny.yaml:12:23: error: compute.unit_count.value: expected a whole number, got \"four\""),
    ]

    @Test(arguments: cases)
    func reportsSpecificError(name: String, find: String, replace: String, expected: String) {
        let text = Self.base.replacingOccurrences(of: find, with: replace)
        #expect(text != Self.base, "\(name): fixture edit did not apply")
        do {
            _ = try MachineFile.parse(text, file: "tiny.yaml")
            Issue.record("\(name): parsed without error")
        } catch {
            #expect(error.description == expected, "\(name)")
        }
    }

    @Test func emptyFile() {
        #expect(throws: FormatError(FileLocation(file: "e.yaml", line: 1, column: 1), field: "-", "the file is empty")) {
            try MachineFile.parse("", file: "e.yaml")
        }
    }

    @Test func duplicateMachineNamesAcrossFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-dup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.base.write(to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try Self.base.write(to: folder.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try MachineLibrary(directory: folder.path)
            Issue.record("duplicate names accepted")
        } catch {
            #expect(error.description == "\(folder.path)/b.yaml:2:1: error: name: duplicate machine name \"tiny\", already defined in \(folder.path)/a.yaml")
        }
    }
}
