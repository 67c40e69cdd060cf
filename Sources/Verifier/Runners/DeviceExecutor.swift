import Devices
import Foundation
import MachineModel

/// Executes a plan on a `ComputeDevice` (OpenCL on any vendor, or the scripted fake) and reports what it saw.
///
/// Buffers are allocated with a guard zone past their end. Inputs are written with the guard pattern (NaN) behind
/// them; outputs, with their guard zones, are filled with the poison pattern before every run. Each check runs the
/// candidate four times on the same inputs (guards past the inputs: NaN, NaN, zero, NaN; see
/// `ExecutionPlan.guardFills`) and reads back the outputs,
/// the inputs and every guard zone. The timing loop writes fresh inputs, poisons the outputs and writes a flush
/// buffer larger than the last-level cache before every repetition, then times the launches with device events.
public final class DeviceExecutor {
    public let device: any ComputeDevice

    public init(device: any ComputeDevice) {
        self.device = device
    }

    public var description: DeviceDescription {
        let info = device.info
        return DeviceDescription(
            id: info.id, name: info.name, vendor: info.vendor, driver: info.driverVersion,
            platform: "\(info.platformName) \(info.platformVersion)".trimmingCharacters(in: .whitespaces),
            timerResolution: info.timerResolution.base)
    }

    private struct Failure: Error {
        var reason: Reason
        var message: String
    }

    /// A problem's buffers on the device, each with its guard zone.
    private final class Allocation {
        var buffers: [String: DeviceBuffer] = [:]
        var counts: [String: Int] = [:]
        var guards: [String: Int] = [:]
    }

    public func execute(_ candidate: Candidate, plan: ExecutionPlan) -> Observations {
        var observations = Observations(device: description)
        var candidate = candidate
        if candidate.launches.isEmpty {
            // A schedule without source: build it from the OpenCL library.
            do {
                candidate = try LibraryCandidates.make(id: candidate.id, problem: candidate.problem, schedule: candidate.schedule)
            } catch {
                observations.failure = .init(reason: .invalidSchedule, message: error.message)
                return observations
            }
        }
        do {
            let kernels = try prepare(candidate)
            let facts = zip(candidate.launches, kernels).compactMap { launch, kernel in
                kernel.facts.map { LaunchFacts(kernel: launch.kernel, language: launch.language, facts: $0) }
            }
            if !facts.isEmpty { observations.compiler = facts }
            var scratchByShape: [Problem: [String: DeviceBuffer]] = [:]
            var earlierOutputs: [Problem: [String: FloatArray]] = [:]
            for check in plan.checks {
                let scratch = try scratchBuffers(candidate, check.problem, cache: &scratchByShape)
                let fill = plan.earlierOutputFill == true ? earlierOutputs[check.problem] : nil
                let observation = try runCheck(candidate, kernels, check, plan: plan, scratch: scratch, fill: fill)
                observations.checks.append(observation)
                if observation.launchError != nil { return observations }
                if earlierOutputs[check.problem] == nil { earlierOutputs[check.problem] = observation.outputs }
            }
            if let timing = plan.timing {
                let scratch = try scratchBuffers(candidate, timing.problem, cache: &scratchByShape)
                observations.timing = try runTiming(candidate, kernels, timing, plan: plan, scratch: scratch)
            }
        } catch let failure as Failure {
            observations.failure = .init(reason: failure.reason, message: failure.message)
        } catch {
            observations.failure = .init(reason: .launchFailed, message: "\(error)")
        }
        return observations
    }

    // MARK: Building

    private func prepare(_ candidate: Candidate) throws -> [DeviceKernel] {
        var programs: [String: DeviceProgram] = [:]
        var kernels: [DeviceKernel] = []
        for (index, launch) in candidate.launches.enumerated() {
            // A language this device's compiler does not take needs another device or runner.
            guard let language = KernelLanguage(rawValue: launch.language), device.languages.contains(language) else {
                let taken = device.languages.map(\.rawValue).joined(separator: ", ")
                throw Failure(reason: .unsupported, message: "launch \(index + 1) is \(launch.language); \(device.info.name) builds \(taken) (a cuda device runs cuda and ptx; other languages need --runner-command)")
            }
            // Persistent state: a mutable program-scope or static variable outlives the launch, outside the scratch
            // buffers the verifier allocates and resets; found in the source, before anything runs.
            if let declaration = PersistentState.firstDeclaration(in: launch.source, language: language) {
                throw Failure(reason: .persistentState, message: "launch \(index + 1) (\(launch.kernel)): \(launch.sourceName) declares \"\(declaration)\", a program-scope or static variable that keeps state between launches (\(PersistentState.remedy(language)))")
            }
            // Work-group size within the device's limit.
            if let local = launch.local {
                let sizes = try local.map { try $0.evaluate(candidate.problem.definition.variables) }
                let size = sizes.reduce(1) { product, size in
                    let (next, overflowed) = product.multipliedReportingOverflow(by: max(size, 0))
                    return overflowed ? Int.max : next
                }
                if size > device.info.maxWorkGroupSize {
                    throw Failure(reason: .exceedsDevice, message: "launch \(index + 1) (\(launch.kernel)): work-group of \(size) threads exceeds the device's \(device.info.maxWorkGroupSize)")
                }
            }
            let key = launch.language + "\u{0}" + launch.options + "\u{0}" + launch.source
            let program: DeviceProgram
            if let built = programs[key] {
                program = built
            } else {
                do {
                    program = try device.buildProgram(source: launch.source, options: launch.options, language: language)
                } catch {
                    let log = (error.buildLog ?? error.message).split(separator: "\n").prefix(12).joined(separator: "\n")
                    throw Failure(reason: .buildFailed, message: "\(launch.sourceName) (\(launch.kernel)) does not build: \(log)")
                }
                programs[key] = program
            }
            do {
                kernels.append(try device.makeKernel(program, name: launch.kernel))
            } catch {
                throw Failure(reason: .buildFailed, message: "\(launch.sourceName) has no kernel \"\(launch.kernel)\": \(error.message)")
            }
        }
        return kernels
    }

    // MARK: Buffers

    private func allocate(_ problem: any ProblemDefinition, plan: ExecutionPlan) throws -> Allocation {
        let allocation = Allocation()
        for spec in problem.buffers {
            let guardCount = plan.guardCount(for: spec.count)
            do {
                allocation.buffers[spec.name] = try device.allocate(byteCount: 4 * (spec.count + guardCount))
            } catch {
                throw Failure(reason: .exceedsDevice, message: "cannot allocate \(spec.name) (\(Bytes(4 * (spec.count + guardCount)))): \(error.message)")
            }
            allocation.counts[spec.name] = spec.count
            allocation.guards[spec.name] = guardCount
        }
        return allocation
    }

    private func scratchBuffers(_ candidate: Candidate, _ problem: Problem, cache: inout [Problem: [String: DeviceBuffer]]) throws -> [String: DeviceBuffer] {
        if let existing = cache[problem] { return existing }
        var buffers: [String: DeviceBuffer] = [:]
        for scratch in candidate.scratch {
            let bytes = max(4, try scratch.bytes.evaluate(problem.definition.variables))
            let rounded = (bytes + 3) / 4 * 4
            do {
                let buffer = try device.allocate(byteCount: rounded)
                try device.fill(buffer, pattern: [0, 0, 0, 0])
                buffers[scratch.name] = buffer
            } catch {
                throw Failure(reason: .exceedsDevice, message: "cannot allocate scratch buffer \(scratch.name) (\(Bytes(rounded))): \(error.message)")
            }
        }
        cache[problem] = buffers
        return buffers
    }

    private func write(_ values: [Float], to buffer: DeviceBuffer, offset: Int = 0) throws {
        let result: Result<Void, DeviceError> = values.withUnsafeBytes { bytes in
            do throws(DeviceError) { _ = try device.write(buffer, offset: offset * 4, from: bytes); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    private func read(_ buffer: DeviceBuffer, offset: Int = 0, count: Int) throws -> [Float] {
        var values = [Float](repeating: 0, count: count)
        let result: Result<Void, DeviceError> = values.withUnsafeMutableBytes { bytes in
            do throws(DeviceError) { _ = try device.read(buffer, offset: offset * 4, into: bytes); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
        return values
    }

    private func pattern(_ bits: UInt32) -> [UInt8] {
        withUnsafeBytes(of: bits.littleEndian) { Array($0) }
    }

    private func writeInputs(_ problem: any ProblemDefinition, _ inputs: [[Float]], _ allocation: Allocation, guardBits: UInt32) throws {
        for (spec, values) in zip(problem.inputs, inputs) {
            try write(values, to: allocation.buffers[spec.name]!)
            try writeGuard(spec.name, allocation, bits: guardBits)
        }
    }

    private func writeGuard(_ name: String, _ allocation: Allocation, bits: UInt32) throws {
        let guardCount = allocation.guards[name]!
        try write([Float](repeating: Float(bitPattern: bits), count: guardCount), to: allocation.buffers[name]!, offset: allocation.counts[name]!)
    }

    private func poisonOutputs(_ problem: any ProblemDefinition, _ allocation: Allocation, plan: ExecutionPlan) throws {
        for spec in problem.outputs {
            try device.fill(allocation.buffers[spec.name]!, pattern: pattern(plan.poison))
        }
    }

    /// Guard zones that no longer hold what was written there.
    private func damagedGuards(_ problem: any ProblemDefinition, _ allocation: Allocation, inputGuard: UInt32, plan: ExecutionPlan) throws -> [String] {
        var damaged: [String] = []
        for spec in problem.buffers {
            let expected = spec.role == .input ? inputGuard : plan.poison
            let zone = try read(allocation.buffers[spec.name]!, offset: spec.count, count: allocation.guards[spec.name]!)
            if zone.contains(where: { $0.bitPattern != expected }) { damaged.append(spec.name) }
        }
        return damaged
    }

    // MARK: Launching

    /// Device and host time of one solution (all launches in order); throws the runtime's error text.
    private func launchAll(_ candidate: Candidate, _ kernels: [DeviceKernel], _ problem: any ProblemDefinition, _ allocation: Allocation, scratch: [String: DeviceBuffer]) throws -> (device: Double, host: Double) {
        let variables = problem.variables
        var total = (device: 0.0, host: 0.0)
        for (launch, kernel) in zip(candidate.launches, kernels) {
            var arguments: [Devices.KernelArgument] = []
            for binding in launch.arguments {
                switch binding {
                case let .buffer(name):
                    guard let buffer = allocation.buffers[name] ?? scratch[name] else { throw LaunchError(text: "unknown buffer \(name)") }
                    arguments.append(.buffer(buffer))
                case let .int(e): arguments.append(.int32(Int32(truncatingIfNeeded: try e.evaluate(variables))))
                case let .long(e): arguments.append(.int64(Int64(try e.evaluate(variables))))
                case let .float(v): arguments.append(.float(Float(v)))
                case let .local(e):
                    let bytes = try e.evaluate(variables)
                    guard (0...(1 << 30)).contains(bytes) else { throw LaunchError(text: "\(launch.kernel): local memory argument of \(bytes) bytes; expected 0 to 1 GiB") }
                    arguments.append(.local(byteCount: bytes))
                }
            }
            let global = try launch.global.map { try $0.evaluate(variables) }
            let local = try launch.local.map { try $0.map { try $0.evaluate(variables) } }
            // Rule: geometry a runtime would take apart (zero, negative or past 32 bits per dimension) is refused
            // before anything is enqueued; some drivers crash on it instead of failing the launch.
            guard global.allSatisfy({ (1...Int(Int32.max)).contains($0) }), local?.allSatisfy({ (1...Int(Int32.max)).contains($0) }) ?? true else {
                throw LaunchError(text: "\(launch.kernel) with global \(global) local \(local.map { "\($0)" } ?? "auto"): each size must be 1 to 2^31-1")
            }
            do {
                let timing = try device.launch(kernel, global: global, local: local, arguments: arguments)
                total.device += timing.device.base
                total.host += timing.host.base
            } catch {
                throw LaunchError(text: "\(launch.kernel) with global \(global) local \(local.map { "\($0)" } ?? "auto"): \(error.description)")
            }
        }
        return total
    }

    private struct LaunchError: Error { var text: String }

    /// `fill`: outputs written over the poison before every run (an earlier check's, `ExecutionPlan.earlierOutputFill`).
    private func runCheck(_ candidate: Candidate, _ kernels: [DeviceKernel], _ check: ExecutionPlan.Check, plan: ExecutionPlan,
                          scratch: [String: DeviceBuffer], fill: [String: FloatArray]?) throws -> CheckObservation {
        let problem = check.problem.definition
        let allocation = try allocate(problem, plan: plan)
        let inputs = problem.makeInputs(seed: check.seed, range: check.inputs)
        var observation = CheckObservation(seed: check.seed, problem: check.problem, outputs: [:], outputDigests: [], inputDigests: [:], damagedGuards: [])
        var repeats: [[String: FloatArray]] = []
        try writeInputs(problem, inputs, allocation, guardBits: plan.guardPattern)
        for run in 0..<ExecutionPlan.guardFills.count {
            if run > 0, ExecutionPlan.guardFills[run] != ExecutionPlan.guardFills[run - 1] {
                let bits = ExecutionPlan.guardFills[run] == .zero ? 0 : plan.guardPattern
                for spec in problem.inputs { try writeGuard(spec.name, allocation, bits: bits) }
            }
            try poisonOutputs(problem, allocation, plan: plan)
            for (name, values) in fill ?? [:] { try write(values.values, to: allocation.buffers[name]!) }
            do {
                _ = try launchAll(candidate, kernels, problem, allocation, scratch: scratch)
            } catch let error as LaunchError {
                observation.launchError = "run \(run + 1): \(error.text)"
                return observation
            }
            var digests: [String: String] = [:]
            var full: [String: FloatArray] = [:]
            for spec in problem.outputs {
                let values = try read(allocation.buffers[spec.name]!, count: spec.count)
                digests[spec.name] = FNV1a.hex(values)
                if run == 0 { observation.outputs[spec.name] = FloatArray(values) } else { full[spec.name] = FloatArray(values) }
            }
            observation.outputDigests.append(digests)
            if run > 0 { repeats.append(full) }
            if run == 0 {
                observation.damagedGuards = try damagedGuards(problem, allocation, inputGuard: plan.guardPattern, plan: plan)
            }
        }
        if observation.damagedGuards.isEmpty {
            let last = ExecutionPlan.guardFills.last == .zero ? 0 : plan.guardPattern
            observation.damagedGuards = try damagedGuards(problem, allocation, inputGuard: last, plan: plan)
        }
        for spec in problem.inputs {
            observation.inputDigests[spec.name] = FNV1a.hex(try read(allocation.buffers[spec.name]!, count: spec.count))
        }
        if !candidate.deterministic { observation.repeatOutputs = repeats }
        return observation
    }

    private func runTiming(_ candidate: Candidate, _ kernels: [DeviceKernel], _ timing: ExecutionPlan.Timing, plan: ExecutionPlan, scratch: [String: DeviceBuffer]) throws -> TimingObservation {
        let problem = timing.problem.definition
        let allocation = try allocate(problem, plan: plan)
        // At least twice what the device reports as its cache, whatever the plan asked for.
        let deviceCache = device.info.globalCacheSize?.count ?? 0
        let flushBytes = (max(timing.flushBytes, 2 * deviceCache) + 127) / 128 * 128
        let flush: DeviceBuffer
        do {
            flush = try device.allocate(byteCount: flushBytes)
        } catch {
            throw Failure(reason: .exceedsDevice, message: "cannot allocate the \(Bytes(flushBytes)) cache-flush buffer: \(error.message)")
        }
        var observation = TimingObservation(device: [], host: [], warmup: timing.warmup, flushBytes: flushBytes, outputs: [:])
        let checked = Set(timing.checked ?? [])
        for (index, seed) in timing.seeds.enumerated() {
            try writeInputs(problem, problem.makeInputs(seed: seed, range: timing.inputs), allocation, guardBits: plan.guardPattern)
            try poisonOutputs(problem, allocation, plan: plan)
            try device.fill(flush, pattern: [UInt8(truncatingIfNeeded: index &+ 1)])
            do {
                let time = try launchAll(candidate, kernels, problem, allocation, scratch: scratch)
                if index >= timing.warmup {
                    observation.device.append(time.device)
                    observation.host.append(time.host)
                }
            } catch let error as LaunchError {
                observation.launchError = "repetition \(index + 1): \(error.text)"
                return observation
            }
            if checked.contains(index) {
                var outputs: [String: FloatArray] = [:]
                for spec in problem.outputs {
                    outputs[spec.name] = FloatArray(try read(allocation.buffers[spec.name]!, count: spec.count))
                }
                observation.checkedOutputs = (observation.checkedOutputs ?? []) + [CheckedRepetition(repetition: index, outputs: outputs)]
            }
        }
        for spec in problem.outputs {
            observation.outputs[spec.name] = FloatArray(try read(allocation.buffers[spec.name]!, count: spec.count))
        }
        return observation
    }
}
