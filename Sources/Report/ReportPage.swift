import CostModel
import Foundation
import MachineModel
import Refinement
import Workloads

/// What `kernelcast report` draws: a machine's roofline with candidates on it, predicted against measured times, and
/// regret curves of loops. Gathering the data (files, the store) is the caller's; this only renders.
public struct ReportData: Sendable {
    public struct Ceiling: Sendable {
        public enum Kind: String, Sendable { case compute, memory }
        public var name: String
        public var kind: Kind
        /// FLOP/s for compute, B/s for memory.
        public var value: Double
        /// `measured`, `fitted`, `spec`, `derived`, ...
        public var source: String
        /// The precision of a compute ceiling, which says its unit (OP/s for integers).
        public var precision: Precision?

        public init(name: String, kind: Kind, value: Double, source: String, precision: Precision? = nil) {
            self.name = name
            self.kind = kind
            self.value = value
            self.source = source
            self.precision = precision
        }

        /// The value with its unit: FLOP/s or OP/s for compute, B/s for memory.
        public var valueText: String {
            kind == .memory ? BytesPerSecond(base: value).description
                : precision.map { OpsPerSecond(base: value).description(for: $0) } ?? OpsPerSecond(base: value).description
        }
    }

    public struct Point: Sendable {
        public var label: String
        public var family: Family
        public var flops: Double
        public var dramBytes: Double
        public var predicted: Double
        public var measured: Double?
        public var split: String?

        public init(label: String, family: Family, flops: Double, dramBytes: Double, predicted: Double, measured: Double?, split: String?) {
            self.label = label
            self.family = family
            self.flops = flops
            self.dramBytes = dramBytes
            self.predicted = predicted
            self.measured = measured
            self.split = split
        }
    }

    public struct Curve: Sendable {
        public var name: String
        /// `loop` (hardware runs) or `replay` (recorded measurements).
        public var kind: String
        /// Regret after each run (best so far over the reference, minus one); nil before anything passed.
        public var regret: [Double?]
        /// What the regret is measured against, in words.
        public var reference: String

        public init(name: String, kind: String, regret: [Double?], reference: String) {
            self.name = name
            self.kind = kind
            self.regret = regret
            self.reference = reference
        }
    }

    public var title: String
    public var machine: Machine
    public var ceilings: [Ceiling]
    public var points: [Point]
    public var curves: [Curve]
    /// Where everything came from, one line each.
    public var sources: [String]

    public init(title: String, machine: Machine, ceilings: [Ceiling], points: [Point], curves: [Curve], sources: [String]) {
        self.title = title
        self.machine = machine
        self.ceilings = ceilings
        self.points = points
        self.curves = curves
        self.sources = sources
    }

    /// The machine's ceilings: every peak rate and every memory level with a bandwidth (unit-scope levels summed over
    /// the units); `measured` overrides a field by its dotted path with a value measured elsewhere (a harness import).
    public static func ceilings(of machine: Machine, measured: [String: Double] = [:]) -> [Ceiling] {
        var out: [Ceiling] = []
        for unit in ExecutionUnit.allCases {
            for precision in Precision.allCases {
                let path = "compute.peak.\(unit.rawValue).\(precision.rawValue)"
                if let value = measured[path] {
                    out.append(Ceiling(name: "\(unit.rawValue) \(precision.rawValue)", kind: .compute, value: value, source: "measured", precision: precision))
                } else if let rate = machine.compute.peak(unit, precision) {
                    out.append(Ceiling(name: "\(unit.rawValue) \(precision.rawValue)", kind: .compute, value: rate.value.base,
                                       source: rate.provenance.key, precision: precision))
                }
            }
        }
        for level in machine.memory where level.kind != .link && level.kind != .registers {
            let path = "memory.\(level.name).bandwidth"
            if let value = measured[path] {
                out.append(Ceiling(name: level.name, kind: .memory, value: value, source: "measured"))
            } else if let bandwidth = machine.aggregateBandwidth(level), let p = level.bandwidth?.provenance {
                let fitted = p.isMeasured && p.detail.hasPrefix("refinement")
                out.append(Ceiling(name: level.name + (level.scope == .unit ? " (all units)" : ""), kind: .memory, value: bandwidth.base,
                                   source: fitted ? "fitted" : p.key))
            }
        }
        return out
    }

    /// One point per timed result of a measurement file, predicted with `model`.
    public static func points(_ measurements: Measurements, model: PlanModel) -> [Point] {
        measurements.spaces.flatMap { space in
            space.results.compactMap { result -> Point? in
                guard result.status == .ok, let measured = result.median?.base else { return nil }
                let p = model.predict(result.candidate.with(compiler: .none))
                guard p.isFeasible else { return nil }
                return Point(label: "\(space.name) \(result.candidate.label)", family: space.family, flops: p.flops,
                             dramBytes: p.traffic.dram, predicted: p.time.base, measured: measured, split: space.split.rawValue)
            }
        }
    }
}

/// Renders `ReportData` as one self-contained HTML page.
public enum ReportPage {
    static let familyColors: [Family: String] = [.gemm: "#1f77b4", .elementwise: "#2ca02c", .reduction: "#9467bd",
                                                 .attention: "#d62728", .generic: "#8c564b"]
    /// Ceilings in greys and muted tones that no family uses, so that a line is never read as a family's points.
    static let ceilingColors = ["#333333", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#7f7f7f", "#b8860b", "#708090", "#a0522d", "#999999"]

    public static func html(_ data: ReportData) -> String {
        var sections: [String] = []
        sections.append(roofline(data))
        sections.append(scatter(data))
        sections.append(regret(data))
        let summary = accuracySummary(data)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(escape(data.title))</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 960px; color: #222; }
            h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 32px; }
            .caption { color: #555; font-size: 13px; max-width: 720px; }
            .legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
            .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 5px; }
            table { border-collapse: collapse; font-size: 13px; } td, th { padding: 2px 10px 2px 0; text-align: left; }
            ul.sources { font-size: 12px; color: #555; }
            </style>
            </head>
            <body>
            <h1>\(escape(data.title))</h1>
            <p class="caption">Machine \(escape(data.machine.name)): \(escape(data.machine.identity.vendor)) \(escape(data.machine.identity.product)). \(escape(summary))</p>
            \(sections.joined(separator: "\n"))
            <h2>Sources</h2>
            <ul class="sources">
            \(data.sources.map { "<li>\(escape($0))</li>" }.joined(separator: "\n"))
            </ul>
            </body>
            </html>

            """
    }

    static func accuracySummary(_ data: ReportData) -> String {
        let pairs = data.points.compactMap { p in p.measured.map { (p.predicted, $0) } }
        guard !pairs.isEmpty else { return "No measured candidates." }
        let mape = pairs.map { abs($0.0 - $0.1) / $0.1 }.reduce(0, +) / Double(pairs.count)
        return "\(pairs.count) measured candidates; mean absolute error of the predictions \(formatSignificant(mape * 100, digits: 3))%."
    }

    static func legend(_ items: [(String, String)]) -> String {
        "<div class=\"legend\">" + items.map { "<span><i style=\"background:\($0.1)\"></i>\(escape($0.0))</span>" }.joined() + "</div>"
    }

    static func roofline(_ data: ReportData) -> String {
        let computes = data.ceilings.filter { $0.kind == .compute }
        let memories = data.ceilings.filter { $0.kind == .memory }
        let intensities = data.points.map { $0.flops / max($0.dramBytes, 1) }.filter { $0 > 0 && $0.isFinite }
        let xLo = pow(10, floor(log10(min(intensities.min() ?? 0.1, 0.1))))
        let xHi = pow(10, ceil(log10(max(intensities.max() ?? 1000, 1000))))
        let peak = computes.map(\.value).max() ?? 1e12
        let rates = data.points.flatMap { p in [p.flops / p.predicted] + (p.measured.map { [p.flops / $0] } ?? []) }.filter { $0 > 0 && $0.isFinite }
        let yLo = pow(10, floor(log10(min(rates.min() ?? peak / 1e4, (memories.map(\.value).min() ?? peak) * xLo))))
        let yHi = pow(10, ceil(log10(peak * 1.5)))
        var chart = SVGChart(x: xLo...xHi, y: yLo...yHi, xLog: true, yLog: true)
        chart.width = 940
        chart.right = 240
        var legendItems: [(String, String)] = []
        var labels: [(text: String, y: Double, color: String)] = []
        for (i, c) in computes.enumerated() {
            let color = ceilingColors[i % ceilingColors.count]
            chart.line([(xLo, c.value), (xHi, c.value)], color: color, width: 1, dash: c.source == "measured" ? nil : "4 3",
                       title: "\(c.name): \(c.valueText) (\(c.source))")
            labels.append(("\(c.name) \(c.valueText) (\(c.source))", c.value, color))
        }
        chart.stackedLabels(labels)
        for (i, m) in memories.enumerated() {
            let color = ceilingColors[(i + computes.count) % ceilingColors.count]
            let ridge = peak / m.value
            chart.line([(xLo, m.value * xLo), (min(ridge, xHi), m.value * min(ridge, xHi))], color: color, width: 1.2,
                       dash: m.source == "measured" || m.source == "fitted" ? nil : "4 3",
                       title: "\(m.name): \(m.valueText) (\(m.source))")
            legendItems.append(("\(m.name) \(m.valueText) (\(m.source))", color))
        }
        for p in data.points {
            let x = p.flops / max(p.dramBytes, 1)
            let color = familyColors[p.family] ?? "#333"
            chart.point(x, p.flops / p.predicted, color: color, filled: false, title: "\(p.label): predicted \(Seconds(base: p.predicted))", radius: 3)
            if let m = p.measured {
                chart.point(x, p.flops / m, color: color, filled: true, title: "\(p.label): measured \(Seconds(base: m))", radius: 2.5)
            }
        }
        let families = Set(data.points.map(\.family)).sorted { $0.rawValue < $1.rawValue }
        let svg = chart.svg(id: "roofline", title: "Roofline of \(data.machine.name)", xTitle: "arithmetic intensity (FLOP per byte of device memory)",
                            yTitle: "FLOP/s", xFormat: { formatSignificant($0) }, yFormat: { OpsPerSecond(base: $0).description })
        return """
            <h2>Roofline</h2>
            <p class="caption">Ceilings of \(escape(data.machine.name)) per precision (flat) and per memory level (slopes); solid lines are measured or fitted, dashed ones stated. Candidates at the intensity the model predicts for them: hollow at the predicted time, filled at the measured time.</p>
            \(svg)
            \(legend(legendItems + families.map { ($0.rawValue, familyColors[$0] ?? "#333") }))
            """
    }

    static func scatter(_ data: ReportData) -> String {
        let pairs = data.points.filter { $0.measured != nil }
        let values = pairs.flatMap { [$0.predicted, $0.measured!] }.filter { $0 > 0 }
        let lo = pow(10, floor(log10(values.min() ?? 1e-6))), hi = pow(10, ceil(log10(values.max() ?? 1e-3)))
        var chart = SVGChart(x: lo...hi, y: lo...hi, xLog: true, yLog: true)
        chart.line([(lo, lo), (hi, hi)], color: "#888", width: 1, title: "predicted = measured")
        chart.line([(lo, lo * 1.2), (hi / 1.2, hi)], color: "#bbb", width: 1, dash: "3 3", title: "measured 20% slower")
        chart.line([(lo * 1.2, lo), (hi, hi / 1.2)], color: "#bbb", width: 1, dash: "3 3", title: "measured 20% faster")
        for p in pairs {
            let color = familyColors[p.family] ?? "#333"
            chart.point(p.measured!, p.predicted, color: color, filled: p.split != "holdout",
                        title: "\(p.label): measured \(Seconds(base: p.measured!)), predicted \(Seconds(base: p.predicted))\(p.split.map { " (\($0))" } ?? "")")
        }
        let families = Set(pairs.map(\.family)).sorted { $0.rawValue < $1.rawValue }
        let svg = chart.svg(id: "scatter", title: "Predicted against measured", xTitle: "measured time", yTitle: "predicted time",
                            xFormat: { Seconds(base: $0).description }, yFormat: { Seconds(base: $0).description })
        return """
            <h2>Predicted against measured</h2>
            <p class="caption">\(pairs.count) measured candidates; the diagonal is a perfect prediction, dashed lines are 20% off. Hollow points are hold-out shapes the model was not fitted on.</p>
            \(svg)
            \(legend(families.map { ($0.rawValue, familyColors[$0] ?? "#333") }))
            """
    }

    static func regret(_ data: ReportData) -> String {
        guard !data.curves.isEmpty else {
            return "<h2>Regret</h2>\n<p class=\"caption\">No loop has run yet (kernelcast loop), and no measurements to replay.</p>\n<svg id=\"regret\" xmlns=\"http://www.w3.org/2000/svg\" width=\"0\" height=\"0\"></svg>"
        }
        let runs = max(2, data.curves.map(\.regret.count).max() ?? 2)
        let worst = data.curves.flatMap { $0.regret.compactMap { $0 } }.max() ?? 0.1
        var chart = SVGChart(x: 1...Double(runs), y: 0...max(0.05, worst * 1.1), xLog: false, yLog: false)
        chart.xInteger = true
        chart.line([(1, 0.02), (Double(runs), 0.02)], color: "#d62728", width: 1, dash: "5 4", title: "2% of the best")
        var items: [(String, String)] = []
        for (i, curve) in data.curves.enumerated() {
            let color = ceilingColors[(i + 1) % ceilingColors.count]
            let points = curve.regret.enumerated().compactMap { n, r in r.map { (Double(n + 1), $0) } }
            chart.line(points, color: color, width: 1.8, dash: curve.kind == "replay" ? "6 3" : nil, title: "\(curve.name) (\(curve.kind))")
            for (x, y) in points {
                chart.point(x, y, color: color, filled: curve.kind == "loop", title: "\(curve.name) run \(Int(x)): \(formatSignificant(y * 100, digits: 3))% over \(curve.reference)")
            }
            items.append(("\(curve.name) (\(curve.kind))", color))
        }
        let svg = chart.svg(id: "regret", title: "Regret curves", xTitle: "hardware runs", yTitle: "regret (best so far over the reference)",
                            xFormat: { String(Int($0)) }, yFormat: { formatSignificant($0 * 100, digits: 3) + "%" })
        return """
            <h2>Regret</h2>
            <p class="caption">Best measured time so far over the reference, minus one, after each run. Solid: loops on hardware; dashed: replays of recorded measurements (no hardware ran). The red line is 2%.</p>
            \(svg)
            \(legend(items))
            """
    }
}
