import Foundation

/// `C[b] = epilogue(A[b] · B[b])` for `b` in `0..<batch`, row-major with `lda = K`, `ldb = N`, `ldc = N`; batches
/// follow each other in memory (A is `batch x M x K`, and so on).
///
/// Epilogues: `bias` adds `bias[N]` to every row, `bias_relu` and `bias_gelu` then apply ReLU or GELU (tanh form),
/// `residual` adds `R`, shaped like C. Kernels must treat C as write-only: it holds NaN when the kernel starts.
public struct GemmProblem: ProblemDefinition {
    public enum Epilogue: String, CaseIterable, Hashable, Sendable, Codable {
        case none, bias, biasRelu = "bias_relu", biasGelu = "bias_gelu", residual
    }

    public var m: Int
    public var n: Int
    public var k: Int
    public var batch: Int
    public var epilogue: Epilogue
    public var dataType: DataType

    public init(m: Int, n: Int, k: Int, batch: Int = 1, epilogue: Epilogue = .none, dataType: DataType = .fp32) {
        self.m = m
        self.n = n
        self.k = k
        self.batch = batch
        self.epilogue = epilogue
        self.dataType = dataType
    }

    public var family: String { "gemm" }
    public var variables: [String: Int] { ["M": m, "N": n, "K": k, "lda": k, "ldb": n, "ldc": n, "batch": batch] }
    public var buffers: [BufferSpec] {
        var list: [BufferSpec] = [.init("A", .input, count: batch * m * k), .init("B", .input, count: batch * k * n)]
        switch epilogue {
        case .none: break
        case .bias, .biasRelu, .biasGelu: list.append(.init("bias", .input, count: n))
        case .residual: list.append(.init("R", .input, count: batch * m * n))
        }
        return list + [.init("C", .output, count: batch * m * n)]
    }
    public var flops: Double { 2 * Double(batch) * Double(m) * Double(n) * Double(k) }
    public var reductionLength: Int { k }
    public var functionCount: Int { epilogue == .biasGelu ? 1 : 0 }
    public var isExact: Bool { false }
    public var shapeText: String {
        (batch > 1 ? "\(batch)x" : "") + "\(m)x\(n)x\(k)" + (epilogue == .none ? "" : " +\(epilogue.rawValue)")
    }

    public func ragged(_ draw: inout RaggedDraw) -> GemmProblem {
        GemmProblem(m: draw.dimension(m, cap: 131), n: draw.dimension(n, cap: 133), k: draw.dimension(k, cap: 67),
                    batch: min(batch, 2), epilogue: epilogue, dataType: dataType)
    }

    public func reference(_ inputs: [[Float]]) -> [ReferenceOutput] {
        let (m, n, k, batch, epilogue) = (m, n, k, batch, epilogue)
        let a = inputs[0].map(Double.init)
        let b = inputs[1].map(Double.init)
        let extra = inputs.count > 2 ? inputs[2].map(Double.init) : []
        let values = SharedDoubles(count: batch * m * n)
        let scale = SharedDoubles(count: batch * m * n)
        for p in 0..<batch {
            let aBase = p * m * k, bBase = p * k * n, cBase = p * m * n
            // Column norms of B and row norms of A bound |A|·|B| element by element (Cauchy–Schwarz).
            var squares = [Double](repeating: 0, count: n)
            for row in 0..<k { for j in 0..<n { squares[j] += b[bBase + row * n + j] * b[bBase + row * n + j] } }
            let columnNorm = squares.map { $0.squareRoot() }
            parallelChunks(m, minimumChunk: max(1, (1 << 16) / max(1, n * k))) { rows in
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        for i in rows {
                            let out = values.pointer + cBase + i * n
                            var rowNorm = 0.0
                            for q in 0..<k {
                                let aiq = a[aBase + i * k + q]
                                rowNorm += aiq * aiq
                                if aiq == 0 { continue }
                                let bRow = bBase + q * n
                                for j in 0..<n { out[j] += aiq * b[bRow + j] }
                            }
                            rowNorm = rowNorm.squareRoot()
                            for j in 0..<n {
                                var s = rowNorm * columnNorm[j]
                                var v = out[j]
                                switch epilogue {
                                case .none: break
                                case .bias: v += extra[j]; s += abs(extra[j])
                                case .biasRelu: v = max(v + extra[j], 0); s += abs(extra[j])
                                case .biasGelu:
                                    v = ElementwiseOp.gelu.apply(v + extra[j], 0)
                                    s = 1.2 * (s + abs(extra[j]))
                                case .residual: v += extra[cBase + i * n + j]; s += abs(extra[cBase + i * n + j])
                                }
                                out[j] = v
                                scale.pointer[cBase + i * n + j] = s
                            }
                        }
                    }
                }
            }
        }
        return [ReferenceOutput(name: "C", values: values.array, scale: scale.array)]
    }
}
