import Foundation
import MachineModel

/// A chart drawn as inline SVG: log or linear axes, lines, points with tooltips. No script, no external file.
struct SVGChart {
    var width = 720.0
    let height = 440.0
    let left = 78.0, top = 20.0, bottom = 56.0
    /// Room right of the plot: a gutter for labels when a chart has them.
    var right = 20.0
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    var xLog: Bool
    var yLog: Bool
    /// Ticks on whole numbers only (run counts).
    var xInteger = false
    var body: [String] = []

    init(x: ClosedRange<Double>, y: ClosedRange<Double>, xLog: Bool, yLog: Bool) {
        xRange = x
        yRange = y
        self.xLog = xLog
        self.yLog = yLog
    }

    func px(_ x: Double) -> Double {
        let (a, b) = xLog ? (log10(xRange.lowerBound), log10(xRange.upperBound)) : (xRange.lowerBound, xRange.upperBound)
        let v = xLog ? log10(max(x, 1e-300)) : x
        return left + (v - a) / (b - a) * (width - left - right)
    }

    func py(_ y: Double) -> Double {
        let (a, b) = yLog ? (log10(yRange.lowerBound), log10(yRange.upperBound)) : (yRange.lowerBound, yRange.upperBound)
        let v = yLog ? log10(max(y, 1e-300)) : y
        return height - bottom - (v - a) / (b - a) * (height - top - bottom)
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    mutating func line(_ points: [(Double, Double)], color: String, width: Double = 1.5, dash: String? = nil, title: String? = nil) {
        let visible = points.filter { $0.0.isFinite && $0.1.isFinite }
        guard visible.count >= 2 else { return }
        let d = visible.map { "\(Self.f(px($0.0))),\(Self.f(py($0.1)))" }.joined(separator: " ")
        var attrs = "fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(width)\""
        if let dash { attrs += " stroke-dasharray=\"\(dash)\"" }
        body.append("<polyline class=\"series\" points=\"\(d)\" \(attrs)>\(title.map { "<title>\(escape($0))</title>" } ?? "")</polyline>")
    }

    mutating func point(_ x: Double, _ y: Double, color: String, filled: Bool, title: String, radius: Double = 3.5) {
        guard x.isFinite, y.isFinite, xRange.contains(x), yRange.contains(y) else { return }
        let fill = filled ? color : "none"
        body.append("<circle class=\"point\" cx=\"\(Self.f(px(x)))\" cy=\"\(Self.f(py(y)))\" r=\"\(radius)\" fill=\"\(fill)\" stroke=\"\(color)\" stroke-width=\"1.2\"><title>\(escape(title))</title></circle>")
    }

    /// Labels in the gutter right of the plot, each level with its value, pushed apart so that no two overlap (one
    /// line of 11-pixel text every 13 pixels) and kept inside the chart; in the gutter they never cover a point.
    mutating func stackedLabels(_ labels: [(text: String, y: Double, color: String)]) {
        let spacing = 13.0
        let placed = labels.filter { $0.y.isFinite }.map { (label: $0, at: py($0.y) + 4) }.sorted { $0.at < $1.at }
        var positions = placed.map(\.at)
        for i in positions.indices.dropFirst() { positions[i] = max(positions[i], positions[i - 1] + spacing) }
        // Past the bottom of the plot: the stack moves up as a whole, as far as its top allows.
        if let last = positions.last, last > height - bottom - 2 {
            let shift = min(last - (height - bottom - 2), max(0, (positions.first ?? top) - top - 11))
            positions = positions.map { $0 - shift }
        }
        for (item, y) in zip(placed, positions) {
            body.append("<text class=\"ceiling-label\" x=\"\(Self.f(width - right + 6))\" y=\"\(Self.f(y))\" fill=\"\(item.label.color)\" font-size=\"11\" text-anchor=\"start\">\(escape(item.label.text))</text>")
        }
    }

    /// Gridlines and tick labels at powers of ten (log) or at nice steps (linear).
    func axes(xTitle: String, yTitle: String, xFormat: (Double) -> String, yFormat: (Double) -> String) -> [String] {
        var out: [String] = []
        func ticks(_ r: ClosedRange<Double>, _ isLog: Bool, integer: Bool = false) -> [Double] {
            if integer { return stride(from: ceil(r.lowerBound), through: r.upperBound, by: max(1, ceil((r.upperBound - r.lowerBound) / 10))).map { $0 } }
            if isLog {
                let a = Int(floor(log10(r.lowerBound))), b = Int(ceil(log10(r.upperBound)))
                return (a...b).map { pow(10, Double($0)) }.filter { r.contains($0) }
            }
            let span = r.upperBound - r.lowerBound
            let step = pow(10, floor(log10(span / 5)))
            let nice = [1.0, 2, 5, 10].map { $0 * step }.first { span / $0 <= 8 } ?? step * 10
            var t = ceil(r.lowerBound / nice) * nice
            var list: [Double] = []
            while t <= r.upperBound + 1e-12 { list.append(t); t += nice }
            return list
        }
        for t in ticks(xRange, xLog, integer: xInteger) {
            let x = Self.f(px(t))
            out.append("<line x1=\"\(x)\" y1=\"\(Self.f(top))\" x2=\"\(x)\" y2=\"\(Self.f(height - bottom))\" stroke=\"#e3e3e3\"/>")
            out.append("<text x=\"\(x)\" y=\"\(Self.f(height - bottom + 16))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">\(escape(xFormat(t)))</text>")
        }
        for t in ticks(yRange, yLog) {
            let y = Self.f(py(t))
            out.append("<line x1=\"\(Self.f(left))\" y1=\"\(y)\" x2=\"\(Self.f(width - right))\" y2=\"\(y)\" stroke=\"#e3e3e3\"/>")
            out.append("<text x=\"\(Self.f(left - 6))\" y=\"\(y)\" font-size=\"11\" text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"#555\">\(escape(yFormat(t)))</text>")
        }
        out.append("<rect x=\"\(Self.f(left))\" y=\"\(Self.f(top))\" width=\"\(Self.f(width - left - right))\" height=\"\(Self.f(height - top - bottom))\" fill=\"none\" stroke=\"#999\"/>")
        out.append("<text x=\"\(Self.f((left + width - right) / 2))\" y=\"\(Self.f(height - 14))\" font-size=\"12\" text-anchor=\"middle\">\(escape(xTitle))</text>")
        out.append("<text transform=\"translate(16,\(Self.f((top + height - bottom) / 2))) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">\(escape(yTitle))</text>")
        return out
    }

    func svg(id: String, title: String, xTitle: String, yTitle: String, xFormat: (Double) -> String, yFormat: (Double) -> String) -> String {
        let parts = ["<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">",
                     "<title>\(escape(title))</title>"]
            + axes(xTitle: xTitle, yTitle: yTitle, xFormat: xFormat, yFormat: yFormat) + body + ["</svg>"]
        return parts.joined(separator: "\n")
    }
}

/// Text for HTML and SVG.
func escape(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(c)
        }
    }
    return out
}
