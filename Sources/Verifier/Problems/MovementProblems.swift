/// `Y[N, M] = X[M, N]ᵀ`, row-major. Outputs must match bit for bit.
public struct TransposeProblem: ProblemDefinition {
    public var rows: Int
    public var columns: Int
    public var dataType: DataType

    public init(rows: Int, columns: Int, dataType: DataType = .fp32) {
        self.rows = rows
        self.columns = columns
        self.dataType = dataType
    }

    public var family: String { "transpose" }
    public var variables: [String: Int] { ["M": rows, "N": columns] }
    public var buffers: [BufferSpec] { [.init("X", .input, count: rows * columns), .init("Y", .output, count: rows * columns)] }
    public var flops: Double { 0 }
    public var reductionLength: Int { 0 }
    public var functionCount: Int { 0 }
    public var isExact: Bool { true }
    public var shapeText: String { "\(rows)x\(columns)" }

    public func ragged(_ draw: inout RaggedDraw) -> TransposeProblem {
        TransposeProblem(rows: draw.dimension(rows, cap: 131), columns: draw.dimension(columns, cap: 67), dataType: dataType)
    }

    public func reference(_ inputs: [[Float]]) -> [ReferenceOutput] {
        var values = [Double](repeating: 0, count: rows * columns)
        for i in 0..<rows { for j in 0..<columns { values[j * rows + i] = Double(inputs[0][i * columns + j]) } }
        return [ReferenceOutput(name: "Y", values: values, scale: values.map(abs))]
    }
}

/// `Y[i] = X[i]` over `N` elements. Outputs must match bit for bit.
public struct CopyProblem: ProblemDefinition {
    public var count: Int
    public var dataType: DataType

    public init(count: Int, dataType: DataType = .fp32) {
        self.count = count
        self.dataType = dataType
    }

    public var family: String { "copy" }
    public var variables: [String: Int] { ["N": count] }
    public var buffers: [BufferSpec] { [.init("X", .input, count: count), .init("Y", .output, count: count)] }
    public var flops: Double { 0 }
    public var reductionLength: Int { 0 }
    public var functionCount: Int { 0 }
    public var isExact: Bool { true }
    public var shapeText: String { "\(count)" }

    public func ragged(_ draw: inout RaggedDraw) -> CopyProblem { CopyProblem(count: draw.dimension(count, cap: 10007), dataType: dataType) }

    public func reference(_ inputs: [[Float]]) -> [ReferenceOutput] {
        let values = inputs[0].map(Double.init)
        return [ReferenceOutput(name: "Y", values: values, scale: values.map(abs))]
    }
}
