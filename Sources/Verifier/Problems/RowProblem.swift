import Foundation

/// A row-wise operation over `X[M, N]` (row-major), one output row per input row.
public enum RowOp: String, CaseIterable, Hashable, Sendable, Codable {
    /// `Y = exp(x - max) / sum(exp(x - max))` per row.
    case softmax
    /// `Y = (x - mean) / sqrt(var + 1e-5) * gamma + beta` per row; `gamma`, `beta` have N elements.
    case layernorm
    /// `Y = x / sqrt(mean(x^2) + 1e-5) * gamma` per row.
    case rmsnorm
    /// `Y[row] = sum(x)`: one output per row.
    case sum

    /// The epsilon added to the variance (layernorm) or mean square (rmsnorm).
    public static let epsilon = 1e-5
}

/// Softmax, layernorm, rmsnorm or sum over the rows of `X[M, N]`.
public struct RowProblem: ProblemDefinition {
    public var op: RowOp
    public var rows: Int
    public var columns: Int
    public var dataType: DataType

    public init(op: RowOp, rows: Int, columns: Int, dataType: DataType = .fp32) {
        self.op = op
        self.rows = rows
        self.columns = columns
        self.dataType = dataType
    }

    public var family: String { op.rawValue }
    public var variables: [String: Int] { ["M": rows, "N": columns] }
    public var buffers: [BufferSpec] {
        var list: [BufferSpec] = [.init("X", .input, count: rows * columns)]
        if op == .layernorm || op == .rmsnorm { list.append(.init("gamma", .input, count: columns)) }
        if op == .layernorm { list.append(.init("beta", .input, count: columns)) }
        return list + [.init("Y", .output, count: op == .sum ? rows : rows * columns)]
    }
    public var flops: Double {
        let perElement: Double = switch op {
        case .softmax: 4
        case .layernorm: 7
        case .rmsnorm: 4
        case .sum: 1
        }
        return Double(rows) * Double(columns) * perElement
    }
    public var reductionLength: Int { columns }
    public var functionCount: Int { op == .softmax ? 2 : (op == .sum ? 0 : 1) }
    public var isExact: Bool { false }
    public var shapeText: String { "\(rows)x\(columns)" }

    public func ragged(_ draw: inout RaggedDraw) -> RowProblem {
        RowProblem(op: op, rows: draw.dimension(rows, cap: 37), columns: draw.dimension(columns, cap: 1031), dataType: dataType)
    }

    public func reference(_ inputs: [[Float]]) -> [ReferenceOutput] {
        let n = columns
        let x = inputs[0].map(Double.init)
        let gamma = op == .layernorm || op == .rmsnorm ? inputs[1].map(Double.init) : []
        let beta = op == .layernorm ? inputs[2].map(Double.init) : []
        let outputCount = op == .sum ? rows : rows * n
        var values = [Double](repeating: 0, count: outputCount)
        var scale = [Double](repeating: 0, count: outputCount)
        for r in 0..<rows {
            let row = x[(r * n)..<((r + 1) * n)]
            switch op {
            case .softmax:
                let top = row.max() ?? 0
                let e = row.map { Foundation.exp($0 - top) }
                let sum = e.reduce(0, +)
                for j in 0..<n {
                    values[r * n + j] = e[j] / sum
                    scale[r * n + j] = e[j] / sum
                }
            case .layernorm:
                let mean = row.reduce(0, +) / Double(n)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
                let meanAbs = row.reduce(0) { $0 + abs($1) } / Double(n)
                let rstd = 1 / (variance + RowOp.epsilon).squareRoot()
                for j in 0..<n {
                    let v = row[row.startIndex + j]
                    values[r * n + j] = (v - mean) * rstd * gamma[j] + beta[j]
                    scale[r * n + j] = (abs(v) + meanAbs) * rstd * abs(gamma[j]) + abs(beta[j])
                }
            case .rmsnorm:
                let meanSquare = row.reduce(0) { $0 + $1 * $1 } / Double(n)
                let rms = 1 / (meanSquare + RowOp.epsilon).squareRoot()
                for j in 0..<n {
                    let v = row[row.startIndex + j]
                    values[r * n + j] = v * rms * gamma[j]
                    scale[r * n + j] = abs(v) * rms * abs(gamma[j])
                }
            case .sum:
                values[r] = row.reduce(0, +)
                scale[r] = row.reduce(0) { $0 + abs($1) }
            }
        }
        return [ReferenceOutput(name: "Y", values: values, scale: scale)]
    }
}
