import MachineModel

/// A working request for each operation: in the OpenAPI document (so that API clients and schemathesis's example
/// phase send requests the operations answer with 200) and checked by the service's tests.
extension APIOperation {
    public var example: JSONValue? {
        let gemmProblem = JSONValue.object([("m", .int(4096)), ("n", .int(4096)), ("k", .int(4096)), ("dtype", .string("fp16"))])
        let schedule = JSONValue.object([("block_m", .int(128)), ("block_n", .int(256)), ("block_k", .int(64)),
                                         ("warps", .int(8)), ("stages", .int(3)), ("group_m", .int(8))])
        let space = JSONValue.object([
            ("version", .int(1)), ("name", .string("gemm-fp16-4096")), ("family", .string("gemm")), ("problem", gemmProblem),
            ("schedule", .object([("block_m", .array([.int(64), .int(128), .int(256)])), ("block_n", .array([.int(64), .int(128), .int(256)])),
                                  ("block_k", .array([.int(32), .int(64)])), ("warps", .array([.int(4), .int(8)])),
                                  ("stages", .array([.int(3), .int(4)])), ("group_m", .int(8))])),
        ])
        func machine(_ name: String, _ rest: (String, JSONValue)...) -> JSONValue { .object([("machine", .string(name))] + rest) }
        switch self {
        case .health, .machines, .machine, .job: return nil
        case .predict:
            return machine("h200-sxm", ("family", .string("gemm")), ("problem", gemmProblem),
                           ("schedules", .array([schedule, .object([("block_m", .int(256)), ("block_n", .int(256)), ("block_k", .int(128)),
                                                                     ("warps", .int(8)), ("stages", .int(4))])])))
        case .plan: return machine("h100-sxm", ("space", space), ("budget", .int(3)))
        case .explain: return machine("h200-sxm", ("family", .string("gemm")), ("problem", gemmProblem), ("schedule", schedule))
        case .bound: return machine("h200-sxm", ("family", .string("gemm")), ("problem", gemmProblem))
        case .whatif: return machine("h100-sxm", ("space", space), ("set", .array([.string("hbm.bandwidth=x1.43")])))
        case .compare: return .object([("machines", .array([.string("h100-sxm"), .string("h200-sxm")])), ("space", space)])
        case .port: return .object([("space", space), ("from", .string("h100-sxm")), ("to", .string("h200-sxm"))])
        case .fusion:
            let elementwise: (Bool) -> JSONValue = { fused in
                .object([("name", .string("+ b1, gelu")), ("family", .string("elementwise")),
                         ("problem", .object([("elements", .int(33_554_432)), ("ops", .int(2)), ("dtype", .string("fp16"))])),
                         ("fused", .bool(fused))])
            }
            return machine("h100-sxm", ("block", .object([
                ("version", .int(1)), ("kind", .string("block")), ("name", .string("bias-gelu")),
                ("alternatives", .array([
                    .object([("name", .string("unfused")), ("kernels", .array([elementwise(false)]))]),
                    .object([("name", .string("fused")), ("kernels", .array([elementwise(true)]))]),
                ])),
            ])))
        case .verify:
            return machine("h100-sxm", ("device", .string("opencl:0")), ("repetitions", .int(5)), ("candidate", .object([
                ("version", .int(1)), ("name", .string("product")), ("family", .string("elementwise")),
                ("problem", .object([("elements", .int(4096)), ("ops", .array([.string("mul")])), ("dtype", .string("fp32"))])),
                ("source", .object([
                    ("text", .string("__kernel void product(__global const float *x, __global const float *y, __global float *z, int n) {\n  int i = get_global_id(0);\n  if (i < n) z[i] = x[i] * y[i];\n}\n")),
                    ("kernel", .string("product")), ("global", .array([.string("round_up(N, 64)")])), ("local", .array([.int(64)])),
                    ("args", .array(["X", "Y1", "Z", "N"].map(JSONValue.string))),
                ])),
            ])))
        case .record:
            return .object([("measurements", .object([
                ("version", .int(1)), ("kind", .string("kernelcast-measurements")), ("machine", .string("h100-sxm")),
                ("spaces", .array([.object([
                    ("name", .string("gemm-fp16-4096x4096x4096")), ("family", .string("gemm")), ("split", .string("tune")),
                    ("problem", gemmProblem),
                    ("results", .array([.object([("schedule", schedule), ("status", .string("ok")), ("median_s", .number(1.31e-4))])])),
                ])])),
            ]))])
        case .refine: return machine("h100-sxm")
        }
    }
}
