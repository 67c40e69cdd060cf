import Foundation

/// How far an honest kernel's output may be from the float64 reference, by data type and problem.
///
/// Two rules, both must hold:
/// - relative norm: `‖out − ref‖₂ / ‖ref‖₂ ≤ relativeNorm`, with
///   `relativeNorm = 4·u_out + u_acc·(8·√L + 16·F)` — rounding the output once, plus accumulation error that grows like
///   √L for a sum of L terms in any order (random inputs), plus F transcendental functions of a few ulps each;
/// - max error per element: `|out − ref| ≤ 2·u_out·|ref| + u_acc·(2·L + 16·F + 4)·scale`, where `scale` is the
///   magnitude the reference reports (for a dot product `‖a_i‖·‖b_j‖ ≥ Σ|a_ik·b_kj|`), a worst-case bound for a
///   sum in any order.
///
/// u is the unit roundoff (2⁻²⁴ for fp32, 2⁻¹¹ for fp16, 2⁻⁸ for bf16); accumulation is in fp32 for every type. The
/// norm rule is what catches reduced-precision arithmetic: half-precision accumulation of a 64-term sum is about a
/// thousand times over the fp32 bound. NaN and infinity never pass. Data movement (copy, transpose) must be exact.
public struct Tolerance: Hashable, Sendable, Codable {
    public var relativeNorm: Double
    /// Coefficient of |ref| in the element rule.
    public var elementRelative: Double
    /// Coefficient of the reference's scale in the element rule.
    public var elementScaled: Double
    public var exact: Bool

    /// Errors up to this relative norm above the tolerance are called precision loss; beyond it, wrong results.
    public static let precisionLossCeiling = 0.02

    public init(problem: any ProblemDefinition) {
        let out = problem.dataType.unitRoundoff
        let accumulate = DataType.fp32.unitRoundoff
        let length = Double(max(1, problem.reductionLength))
        let functions = Double(problem.functionCount)
        exact = problem.isExact
        relativeNorm = exact ? 0 : 4 * out + accumulate * (8 * length.squareRoot() + 16 * functions)
        elementRelative = exact ? 0 : 2 * out
        elementScaled = exact ? 0 : accumulate * (2 * length + 16 * functions + 4)
    }
}

/// How one output compares with its reference.
public struct Comparison: Hashable, Sendable, Codable {
    public var count: Int
    /// Elements still holding the poison pattern (a finite poison that is a correct value there does not count).
    public var unwritten: Int
    /// Elements that are NaN (other than poison) or infinite.
    public var nonFinite: Int
    public var relativeNorm: Double
    /// Largest |out − ref| divided by its element bound (≤ 1 passes).
    public var worstElementRatio: Double
    /// Where the worst element and the first unwritten or non-finite element are (flat index).
    public var worstIndex: Int
    public var firstUnwritten: Int?
    public var firstNonFinite: Int?
    /// Elements beyond their bound.
    public var failing: Int
    /// Whether every element is exactly zero.
    public var allZero: Bool

    public static func compare(_ output: [Float], _ reference: ReferenceOutput, tolerance: Tolerance, poison: UInt32) -> Comparison {
        var result = Comparison(
            count: output.count, unwritten: 0, nonFinite: 0, relativeNorm: 0, worstElementRatio: 0, worstIndex: 0,
            firstUnwritten: nil, firstNonFinite: nil, failing: 0, allZero: true)
        var errorSquares = 0.0
        var referenceSquares = 0.0
        for i in 0..<min(output.count, reference.values.count) {
            let value = output[i]
            let ref = reference.values[i]
            let bound = tolerance.elementRelative * abs(ref) + tolerance.elementScaled * reference.scale[i]
            // Unwritten: still the poison, unless a finite poison is a correct value here (then written or not, the
            // element is right).
            let correctHere = value.isFinite && (tolerance.exact ? Double(value) == ref : abs(Double(value) - ref) <= bound)
            if value.bitPattern == poison, !correctHere {
                result.unwritten += 1
                if result.firstUnwritten == nil { result.firstUnwritten = i }
                continue
            }
            if !value.isFinite {
                result.nonFinite += 1
                if result.firstNonFinite == nil { result.firstNonFinite = i }
                continue
            }
            if value != 0 { result.allZero = false }
            let error = abs(Double(value) - ref)
            errorSquares += error * error
            referenceSquares += ref * ref
            let ratio: Double
            if tolerance.exact {
                ratio = Double(value) == ref ? 0 : .infinity
            } else {
                ratio = error == 0 ? 0 : (bound > 0 ? error / bound : .infinity)
            }
            if ratio > 1 { result.failing += 1 }
            if ratio > result.worstElementRatio {
                result.worstElementRatio = ratio
                result.worstIndex = i
            }
        }
        if output.count != reference.values.count { result.failing += abs(output.count - reference.values.count) }
        result.relativeNorm = referenceSquares > 0 ? (errorSquares / referenceSquares).squareRoot() : errorSquares.squareRoot()
        return result
    }

    public func passes(_ tolerance: Tolerance) -> Bool {
        unwritten == 0 && nonFinite == 0 && failing == 0 && relativeNorm <= tolerance.relativeNorm
    }
}
