import CostModel
import Foundation
import MachineModel
import Workloads

/// Fits a machine's refinement from measurements: first the machine fields all kernels share (device-memory and L2
/// bandwidth, their latencies, the launch overhead), then each family's bounded efficiency terms; both are scales on
/// the analytical model, never raw times.
///
/// Validation splits by shape, never between schedules of one shape. Data that says which spaces are `tune` and
/// which `holdout` is split that way; otherwise every fourth shape (in a fixed order) is held out. Within the
/// training shapes, k-fold cross-validation by shape decides what is kept: a family's terms (and the machine fields)
/// are used only if they lower the error on shapes the fit did not see; the same out-of-fold residuals calibrate
/// the uncertainty bands. The held-out shapes are touched only to report the error before and after.
public enum Refiner {
    public struct Options: Sendable {
        /// Share of held-out results each band should cover.
        public var coverage = 0.9
        /// Folds of the cross-validation by shape (fewer when there are fewer training shapes).
        public var folds = 4
        /// Passes of coordinate descent over the terms.
        public var sweeps = 2
        /// Weight of the pull towards each term's default, per squared share of its range.
        public var regularization = 0.02
        /// Whether to fit machine fields at all.
        public var fitMachineFields = true
        /// Weight of each shape's mean error (its scale) against the spread of errors within it (its ranking) in
        /// the fit: below one, a fit may not buy absolute accuracy with worse orderings.
        public var biasWeight = 0.3
        /// Told each stage as it starts ("cross-validation fold 2 of 4"): a fit takes seconds to minutes.
        public var progress: (@Sendable (String) -> Void)?

        public init() {}
    }

    /// Fits a refinement.
    ///
    /// - Parameters:
    ///   - created: timestamp written into the refinement (ISO 8601).
    ///   - sources: the files or store runs the observations came from, for the record.
    /// - Throws: `insufficientData` with fewer than two shapes (nothing could be validated).
    public static func refine(machine: Machine, observations: [Observation], sources: [String], created: String,
                              options: Options = Options()) throws(RefinementError) -> Refinement {
        let observations = observations.filter { $0.family != .generic && $0.measured > 0 }
        let shapes = Set(observations.map(\.shape))
        guard shapes.count >= 2 else {
            throw RefinementError(.insufficientData, "refine needs measurements of at least two shapes, to judge the fit on a "
                + "shape it did not see; have \(shapes.count)" + (shapes.first.map { " (\($0))" } ?? "")
                + "; measure another shape or add a measurement file with --measurements")
        }
        let (training, validation, splitWords) = split(observations)
        let baseline = PlanModel(machine: machine)
        var trainingFolds = folds(of: training, count: options.folds)

        // Cross-validation: fit on all folds but one, predict the one left out.
        var oofMachine = [Double](repeating: .nan, count: training.count)   // machine fields only
        var oofFull = [Double](repeating: .nan, count: training.count)      // machine fields + family terms
        var oofFamily = [Double](repeating: .nan, count: training.count)    // family terms only
        if trainingFolds.count >= 2 {
            for fold in trainingFolds.indices {
                options.progress?("cross-validation fold \(fold + 1) of \(trainingFolds.count)")
                let fitIdx = trainingFolds.indices.filter { $0 != fold }.flatMap { trainingFolds[$0] }
                let fitSet = fitIdx.map { training[$0] }
                let termsAlone = fitFamilies(machine, fitSet, options)
                let (fields, terms) = options.fitMachineFields ? fitJointly(machine, fitSet, options, start: termsAlone) : ([], termsAlone)
                let fitted = machineWith(fields, machine)
                let mOnly = PlanModel(machine: fitted)
                let full = PlanModel(machine: fitted, refinement: assemble(machine, fields, terms, accepted: Set(Family.allCases)))
                let fOnly = PlanModel(machine: machine, refinement: assemble(machine, [], termsAlone, accepted: Set(Family.allCases)))
                for i in trainingFolds[fold] {
                    oofMachine[i] = residual(mOnly, training[i])
                    oofFull[i] = residual(full, training[i])
                    oofFamily[i] = residual(fOnly, training[i])
                }
            }
        } else {
            trainingFolds = []
        }
        let base = training.map { residual(baseline, $0) }

        // Decide: per family, the variant with the lowest out-of-fold error; machine fields only if they help overall.
        var accepted = Set<Family>()
        var useMachine = false
        var notes: [Family: String] = [:]
        if !trainingFolds.isEmpty {
            var withMachine = 0.0, without = 0.0
            var choice: [Family: (machine: Bool, family: Bool)] = [:]
            for family in Family.allCases where family != .generic {
                let idx = training.indices.filter { training[$0].family == family }
                guard !idx.isEmpty else { continue }
                let set = idx.map { training[$0] }
                func err(_ r: [Double]) -> ShapeError { shapeError(idx.map { r[$0] }, set) }
                let e0 = err(base), e1 = err(oofMachine), e2 = err(oofFull), e3 = err(oofFamily)
                // A variant may not order candidates within a shape worse than the default model does: the loop and
                // every plan rank within one shape.
                func score(_ e: ShapeError) -> Double {
                    e.within <= e0.within * (1 + Self.withinSlack) ? e.objective(options.biasWeight) : .infinity
                }
                let bestWith = min(score(e1), score(e2)), bestWithout = min(score(e0), score(e3))
                let shapes = Double(Set(set.map(\.shape)).count)
                withMachine += (bestWith.isFinite ? bestWith : score(e0)) * shapes
                without += bestWithout * shapes
                choice[family] = (score(e2) < score(e1) && score(e2) < score(e0), score(e3) < score(e0))
                func words(_ e: ShapeError) -> String { "\(fmt(e.within)) within shapes + \(fmt(e.bias)) between" }
                notes[family] = "cross-validated squared log error: default \(words(e0)); machine fields \(words(e1)); "
                    + "machine fields + terms \(words(e2)); terms alone \(words(e3))"
            }
            useMachine = options.fitMachineFields && withMachine < without
            for (family, c) in choice where useMachine ? c.machine : c.family { accepted.insert(family) }
        }

        // Final fit on every training shape.
        options.progress?("final fit on \(Set(training.map(\.shape)).count) shapes")
        let termsAlone = fitFamilies(machine, training, options)
        let (fields, terms) = useMachine ? fitJointly(machine, training, options, start: termsAlone) : ([], termsAlone)
        let fitted = machineWith(fields, machine)
        var refinement = assemble(machine, fields, terms, accepted: accepted)

        // Bands from the out-of-fold residuals of what was kept (the default model's residuals where nothing was).
        for family in Family.allCases where family != .generic {
            let idx = training.indices.filter { training[$0].family == family }
            guard !idx.isEmpty else { continue }
            let chosen = accepted.contains(family) ? (useMachine ? oofFull : oofFamily) : (useMachine && !trainingFolds.isEmpty ? oofMachine : base)
            let model = PlanModel(machine: fitted, refinement: refinement)
            let bands = calibrate(idx.map { training[$0] }, residuals: idx.map { chosen[$0].isNaN ? base[$0] : chosen[$0] },
                                  model: model, coverage: options.coverage, crossValidated: !trainingFolds.isEmpty)
            var entry = refinement.families[family] ?? FamilyRefinement(terms: [:], bands: .uncalibrated, before: nil, after: nil, accepted: false, note: "")
            entry.bands = bands
            let kept = accepted.contains(family)
            let fitNote = notes[family] ?? "only \(Set(idx.map { training[$0].shape }).count) training shape(s): nothing could be cross-validated"
            entry.note = (kept ? "terms kept; " : "terms not kept (they did not lower the cross-validated error); ") + fitNote
            refinement.families[family] = entry
        }

        // Report on the held-out shapes.
        let after = PlanModel(machine: machine, refinement: refinement)
        for family in Family.allCases where family != .generic {
            let v = validation.filter { $0.family == family }
            guard !v.isEmpty, refinement.families[family] != nil else { continue }
            refinement.families[family]!.before = summarize(v, model: baseline)
            refinement.families[family]!.after = summarize(v, model: after)
        }
        refinement.sources = sources
        refinement.created = created
        refinement.validation = splitWords + "; \(trainingFolds.count)-fold cross-validation by shape on the training "
            + "shapes chose what to keep and calibrated the bands (\(Int(options.coverage * 100))% coverage); "
            + (useMachine ? "machine fields kept" : "machine fields not kept")
        return refinement
    }

    // MARK: splitting

    static func split(_ observations: [Observation]) -> (training: [Observation], validation: [Observation], words: String) {
        if observations.contains(where: { $0.split != nil }) {
            let training = observations.filter { $0.split != .holdout }
            let validation = observations.filter { $0.split == .holdout }
            let t = Set(training.map(\.shape)).count, v = Set(validation.map(\.shape)).count
            return (training, validation, "split as the data says: \(t) tune shape(s), \(v) holdout shape(s)")
        }
        let shapes = Set(observations.map(\.shape)).sorted { stableHash($0) < stableHash($1) || (stableHash($0) == stableHash($1) && $0 < $1) }
        var held = Set<String>()
        for (i, shape) in shapes.enumerated() where i % 4 == 3 { held.insert(shape) }
        if held.isEmpty, let last = shapes.last { held.insert(last) }
        let training = observations.filter { !held.contains($0.shape) }
        let validation = observations.filter { held.contains($0.shape) }
        return (training, validation, "no split in the data: \(held.count) of \(shapes.count) shapes held out (every fourth by a fixed hash)")
    }

    /// Positions of `observations` in `count` folds, whole shapes per fold.
    static func folds(of observations: [Observation], count: Int) -> [[Int]] {
        let shapes = Set(observations.map(\.shape)).sorted { stableHash($0) < stableHash($1) || (stableHash($0) == stableHash($1) && $0 < $1) }
        let k = min(count, shapes.count)
        guard k >= 2 else { return [Array(observations.indices)] }
        var foldOf: [String: Int] = [:]
        for (i, shape) in shapes.enumerated() { foldOf[shape] = i % k }
        var out = [[Int]](repeating: [], count: k)
        for (i, o) in observations.enumerated() { out[foldOf[o.shape]!].append(i) }
        return out
    }

    // MARK: fitting

    /// ln(predicted / measured); NaN when the model calls the candidate infeasible.
    static func residual(_ model: PlanModel, _ o: Observation) -> Double {
        let p = model.predict(o.candidate)
        guard p.isFeasible, p.time.base > 0 else { return .nan }
        return log(p.time.base / o.measured)
    }

    /// How much slack a variant's within-shape error may have over the default model's before it is refused.
    static let withinSlack = 0.0

    /// Squared log errors split per shape: the mean over shapes of each shape's squared mean residual (`bias`: its
    /// scale is off) and of the variance around that mean (`within`: its ordering is off). Each shape weighs the
    /// same, however many schedules it has; infeasible predictions (NaN) are left out.
    struct ShapeError {
        var within: Double
        var bias: Double
        var total: Double { within + bias }
        func objective(_ biasWeight: Double) -> Double { within + biasWeight * bias }
    }

    static func shapeError(_ residuals: [Double], _ observations: [Observation]) -> ShapeError {
        var groups: [String: (sum: Double, squares: Double, count: Double)] = [:]
        for (r, o) in zip(residuals, observations) where r.isFinite {
            var g = groups[o.shape] ?? (0, 0, 0)
            g.sum += r
            g.squares += r * r
            g.count += 1
            groups[o.shape] = g
        }
        guard !groups.isEmpty else { return ShapeError(within: .infinity, bias: .infinity) }
        var within = 0.0, bias = 0.0
        for g in groups.values {
            let mean = g.sum / g.count
            bias += mean * mean
            within += max(0, g.squares / g.count - mean * mean)
        }
        return ShapeError(within: within / Double(groups.count), bias: bias / Double(groups.count))
    }

    /// Each shape weighs the same, however many schedules it has.
    static func weights(_ observations: [Observation]) -> [Double] {
        var perShape: [String: Int] = [:]
        for o in observations { perShape[o.shape, default: 0] += 1 }
        return observations.map { 1 / Double(perShape[$0.shape]!) }
    }

    static func weightedSquare(_ residuals: [Double], _ weights: [Double]) -> Double {
        var sum = 0.0, total = 0.0
        for (r, w) in zip(residuals, weights) where r.isFinite {
            sum += w * r * r
            total += w
        }
        return total > 0 ? sum / total : .infinity
    }

    /// A machine field refinement may fit: its current value as the model uses it, and how a scale is written back.
    /// Package-wide so that a port (in `Planner`) carries exactly the fields a fit scales.
    package struct MachineTerm {
        package var path: String
        package var unit: String
        package var bounds: ClosedRange<Double>
        /// The value the model uses now (after derating a spec figure).
        package var current: Double
        package var previous: String
    }

    package static func machineTerms(_ machine: Machine) -> [MachineTerm] {
        let figures = CostModel(machine: machine).figures
        let d = Parameters.default
        var terms: [MachineTerm] = []
        func words<Q: Quantity>(_ s: Sourced<Q>?) -> String { s.map { "\($0.value) (\($0.provenance.key))" } ?? "not given" }
        if let dram = machine.deviceMemory {
            if let bw = dram.bandwidth {
                terms.append(MachineTerm(path: "memory.\(dram.name).bandwidth", unit: "B/s", bounds: 0.5...1.3,
                                         current: bw.value.base * (bw.provenance.isMeasured ? 1 : d.dramFraction), previous: words(dram.bandwidth)))
            }
            if let latency = dram.latency {
                terms.append(MachineTerm(path: "memory.\(dram.name).latency", unit: "s", bounds: 0.5...2.5, current: latency.value.base,
                                         previous: words(dram.latency)))
            }
        }
        if let l2 = machine.memory.last(where: { $0.kind == .cache && $0.scope == .device }) {
            let current = l2.bandwidth.map { $0.value.base * ($0.provenance.isMeasured ? 1 : d.l2Fraction) } ?? figures.l2BandwidthStated
            terms.append(MachineTerm(path: "memory.\(l2.name).bandwidth", unit: "B/s", bounds: 0.4...2.0, current: current,
                                     previous: l2.bandwidth.map { words($0) } ?? "not given (model default \(BytesPerSecond(base: current)))"))
            if let latency = l2.latency {
                terms.append(MachineTerm(path: "memory.\(l2.name).latency", unit: "s", bounds: 0.5...2.5, current: latency.value.base,
                                         previous: words(l2.latency)))
            }
        }
        let launch = machine.launchOverhead?.value.base ?? d.assumedLaunchOverhead
        terms.append(MachineTerm(path: "launch_overhead", unit: "s", bounds: 0.25...3.0, current: launch,
                                 previous: machine.launchOverhead.map { words($0) } ?? "not given (model default \(Seconds(base: launch)))"))
        return terms
    }

    static let fitProvenance = Provenance.measured(run: "refinement: fitted to timed kernels")

    static func machineWith(_ fields: [FittedField], _ machine: Machine) -> Machine {
        var m = machine
        for f in fields { _ = try? MachineEdit(path: f.path, value: .absolute(f.value)).apply(to: &m, provenance: f.provenance) }
        return m
    }

    /// Machine fields and family terms together: the machine fields are shared by every family, so each family's
    /// terms are fitted first and the fields then fitted under them (a field must not bend to absorb one family's
    /// bias), twice over.
    static func fitJointly(_ machine: Machine, _ data: [Observation], _ options: Options, start: [Family: [String: Double]])
        -> (fields: [FittedField], terms: [Family: [String: Double]])
    {
        var terms = start
        var fields: [FittedField] = []
        for _ in 0..<2 {
            fields = fitMachine(machine, data, options, terms: terms)
            terms = fitFamilies(machineWith(fields, machine), data, options)
        }
        return (fields, terms)
    }

    /// Coordinate descent on the scales of the machine fields, every family pooled, each with its terms.
    static func fitMachine(_ machine: Machine, _ data: [Observation], _ options: Options, terms familyTerms: [Family: [String: Double]]) -> [FittedField] {
        let terms = machineTerms(machine)
        guard !terms.isEmpty, !data.isEmpty else { return [] }
        let families = assemble(machine, [], familyTerms, accepted: Set(Family.allCases))
        func fields(_ scales: [Double]) -> [FittedField] {
            zip(terms, scales).map { t, s in
                FittedField(path: t.path, value: t.current * s, unit: t.unit, previous: t.previous, scale: s, provenance: fitProvenance)
            }
        }
        func loss(_ scales: [Double]) -> Double {
            let model = PlanModel(machine: machineWith(fields(scales), machine), refinement: families)
            var l = shapeError(data.map { residual(model, $0) }, data).objective(options.biasWeight)
            for s in scales { l += options.regularization * log(s) * log(s) }
            return l
        }
        var scales = [Double](repeating: 1, count: terms.count)
        descend(&scales, bounds: terms.map(\.bounds), logScale: true, sweeps: options.sweeps, loss: loss)
        return fields(scales).filter { abs($0.scale - 1) > 0.005 }
    }

    /// Per family, coordinate descent on its terms.
    static func fitFamilies(_ machine: Machine, _ data: [Observation], _ options: Options) -> [Family: [String: Double]] {
        var out: [Family: [String: Double]] = [:]
        for family in Family.allCases where family != .generic {
            let set = data.filter { $0.family == family }
            guard !set.isEmpty else { continue }
            let terms = ParameterTerm.terms(for: family)
            let defaults = terms.map { Parameters.default[keyPath: $0.keyPath] }
            func loss(_ values: [Double]) -> Double {
                var p = Parameters.default
                for (t, v) in zip(terms, values) { p[keyPath: t.keyPath] = v }
                let model = CostModel(machine: machine, parameters: p)
                var l = shapeError(set.map { o -> Double in
                    let pr = model.predict(o.candidate)
                    return pr.isFeasible && pr.time.base > 0 ? log(pr.time.base / o.measured) : .nan
                }, set).objective(options.biasWeight)
                for (i, t) in terms.enumerated() {
                    let share = (values[i] - defaults[i]) / (t.bounds.upperBound - t.bounds.lowerBound)
                    l += options.regularization * share * share
                }
                return l
            }
            var values = defaults
            descend(&values, bounds: terms.map(\.bounds), logScale: false, sweeps: options.sweeps, loss: loss)
            var changed: [String: Double] = [:]
            for (i, t) in terms.enumerated() where abs(values[i] - defaults[i]) > 0.005 * (t.bounds.upperBound - t.bounds.lowerBound) {
                changed[t.name] = values[i]
            }
            out[family] = changed
        }
        return out
    }

    /// Minimises `loss` one coordinate at a time: a grid of nine points over the bounds, then golden-section search
    /// between the best point's neighbours.
    static func descend(_ x: inout [Double], bounds: [ClosedRange<Double>], logScale: Bool, sweeps: Int, loss: ([Double]) -> Double) {
        var best = loss(x)
        for _ in 0..<sweeps {
            var improved = false
            for i in x.indices {
                let lo = logScale ? log(bounds[i].lowerBound) : bounds[i].lowerBound
                let hi = logScale ? log(bounds[i].upperBound) : bounds[i].upperBound
                func value(_ u: Double) -> Double { logScale ? exp(u) : u }
                func at(_ u: Double) -> Double {
                    var y = x
                    y[i] = value(u)
                    return loss(y)
                }
                let steps = 6
                var bestU = logScale ? log(x[i]) : x[i]
                var bestL = best
                for s in 0...steps {
                    let u = lo + (hi - lo) * Double(s) / Double(steps)
                    let l = at(u)
                    if l < bestL { bestL = l; bestU = u }
                }
                var a = max(lo, bestU - (hi - lo) / Double(steps)), b = min(hi, bestU + (hi - lo) / Double(steps))
                let g = (5.0.squareRoot() - 1) / 2
                var c = b - g * (b - a), d = a + g * (b - a)
                var lc = at(c), ld = at(d)
                for _ in 0..<7 {
                    if lc < ld { b = d; d = c; ld = lc; c = b - g * (b - a); lc = at(c) } else { a = c; c = d; lc = ld; d = a + g * (b - a); ld = at(d) }
                }
                if lc < bestL { bestL = lc; bestU = c }
                if ld < bestL { bestL = ld; bestU = d }
                if bestL < best - 1e-12 {
                    x[i] = value(bestU)
                    best = bestL
                    improved = true
                }
            }
            if !improved { break }
        }
    }

    static func assemble(_ machine: Machine, _ fields: [FittedField], _ terms: [Family: [String: Double]], accepted: Set<Family>) -> Refinement {
        var families: [Family: FamilyRefinement] = [:]
        for (family, values) in terms {
            families[family] = FamilyRefinement(terms: values, bands: .uncalibrated, before: nil, after: nil,
                                                accepted: accepted.contains(family), note: "")
        }
        return Refinement(machine: machine.name, created: "", sources: [], validation: "", machineFields: fields, families: families)
    }

    // MARK: bands and errors

    /// Bands that cover `coverage` of the residuals: overall and, with at least `minimumPerBottleneck` residuals
    /// of one bottleneck, for that bottleneck; total, and around each shape's mean (within a space).
    static func calibrate(_ data: [Observation], residuals: [Double], model: PlanModel, coverage: Double, crossValidated: Bool) -> FamilyBands {
        // residuals are ln(predicted / measured); bands are in ln(measured / predicted).
        var byShape: [String: [Int]] = [:]
        for (i, o) in data.enumerated() where residuals[i].isFinite { byShape[o.shape, default: []].append(i) }
        var total: [(Resource, Double)] = [], within: [(Resource, Double)] = []
        for (_, members) in byShape {
            let mean = members.map { -residuals[$0] }.reduce(0, +) / Double(members.count)
            for i in members {
                let bottleneck = model.predict(data[i].candidate).bottleneck
                total.append((bottleneck, -residuals[i]))
                if members.count >= 2 { within.append((bottleneck, -residuals[i] - mean)) }
            }
        }
        let tail = (1 - coverage) / 2
        let words = "\(crossValidated ? "out-of-fold" : "in-sample") residuals of \(total.count) results over \(byShape.count) shapes"
        func band(_ values: [Double], _ source: String) -> UncertaintyBand {
            UncertaintyBand(below: min(0, quantile(values, tail)), above: max(0, quantile(values, 1 - tail)), coverage: coverage, source: source)
        }
        guard total.count >= 5 else { return .uncalibrated }
        var bands = FamilyBands(
            total: band(total.map(\.1), words),
            withinSpace: within.count >= 5 ? band(within.map(\.1), "\(words), around each shape's mean") : .uncalibratedWithinSpace)
        for resource in Resource.allCases {
            let t = total.filter { $0.0 == resource }.map(\.1)
            if t.count >= minimumPerBottleneck { bands.totalByBottleneck[resource] = band(t, "\(words): \(t.count) \(resource.name)-bound") }
            let w = within.filter { $0.0 == resource }.map(\.1)
            if w.count >= minimumPerBottleneck {
                bands.withinSpaceByBottleneck[resource] = band(w, "\(words): \(w.count) \(resource.name)-bound, around each shape's mean")
            }
        }
        return bands
    }

    /// Residuals a bottleneck needs before it gets a band of its own.
    static let minimumPerBottleneck = 20

    /// Errors of `model` on observations: MAPE, mean |ln ratio|, and per shape Spearman and top-5 regret.
    public static func summarize(_ data: [Observation], model: PlanModel) -> ErrorSummary {
        var ape: [Double] = [], logs: [Double] = []
        var byShape: [String: [(p: Double, m: Double)]] = [:]
        for o in data {
            let p = model.predict(o.candidate)
            byShape[o.shape, default: []].append((p.time.base, o.measured))
            guard p.isFeasible else { continue }
            ape.append(abs(p.time.base - o.measured) / o.measured)
            logs.append(abs(log(p.time.base / o.measured)))
        }
        var rhos: [Double] = [], regrets: [Double] = []
        for (_, points) in byShape {
            if points.count >= 3 { rhos.append(Evaluation.spearman(points.map(\.p), points.map(\.m))) }
            if let r = Evaluation.regret(top: 5, predicted: points.map(\.p), measured: points.map(\.m)) { regrets.append(r) }
        }
        func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }
        return ErrorSummary(count: data.count, shapes: byShape.count, mape: mean(ape), meanLogError: mean(logs),
                            spearman: rhos.isEmpty ? nil : mean(rhos), top5Regret: regrets.isEmpty ? nil : mean(regrets))
    }
}

/// The value below which `p` of `values` fall (nearest rank).
func quantile(_ values: [Double], _ p: Double) -> Double {
    let s = values.sorted()
    let rank = Int((p * Double(s.count - 1)).rounded())
    return s[max(0, min(s.count - 1, rank))]
}

/// FNV-1a of the UTF-8 bytes: the same order on every run and platform (Swift's Hasher is seeded per process).
func stableHash(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

func fmt(_ x: Double) -> String { formatSignificant(x, digits: 3) }
