import Foundation
import Testing
import Verifier

/// The promise of every reader: any input gets an answer or one clear line of error, never a crash or a hang.
/// A crash kills the test process, which fails CI; the input that did it is left in $TMPDIR/kernelcast-fuzz
/// (`input.*`, with `current.txt` naming its seed, index and mutations). docs/fuzzing.md has the long run.
@Suite struct FuzzTests {
    /// Inputs of the CI run: a fixed seed and a count a debug build gets through well inside two minutes on 2 cores.
    static let ciSeed: UInt64 = 15
    static let ciCount = 1650
    /// A longest error line: a quoted value is cut at 600 characters, and the location and field come before it.
    static let longestError = 800
    /// An input slower than this is listed; one past `hang` fails: a hang, not slowness (idle, the slowest takes about
    /// 0.1 s; on two cores rebuilding a package beside the tests one took 31 s).
    static let slow: Duration = .seconds(2)
    static let hang: Duration = .seconds(120)

    @Test func everyCommittedSeedIsAccepted() async throws {
        for format in formats {
            #expect(!format.seeds.isEmpty, "\(format.name) has no seeds")
            for seed in format.seeds {
                let path = try Self.write(seed.bytes, format: format, as: "seed")
                do {
                    try await format.run(path, seed.name)
                } catch {
                    Issue.record("\(format.name) seed \(seed.name) refused: \(error)")
                }
            }
        }
    }

    @Test func everyInputIsAnsweredInOneLine() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["KERNELCAST_FUZZ_SEED"].flatMap { UInt64($0) } ?? Self.ciSeed
        let count = environment["KERNELCAST_FUZZ_COUNT"].flatMap { Int($0) } ?? Self.ciCount
        let long = environment["KERNELCAST_FUZZ_COUNT"] != nil

        var tallies = formats.map { Tally(format: $0.name) }
        let start = ContinuousClock.now
        for index in 0..<count {
            let slot = index % formats.count
            let format = formats[slot]
            var rng = SplitMix64.input(seed: seed, index: index)
            let pool = format.seeds + format.generated
            let base = pool.randomElement(using: &rng)!
            var mutator = Mutator(rng: rng)
            let (bytes, applied) = Int.random(in: 0..<10, using: &mutator.rng) == 0 ? mutator.everyNumber(base.bytes) : mutator.mutate(base.bytes)
            let note = "seed \(seed) index \(index) format \(format.name) from \(base.name) mutations \(applied.joined(separator: ","))"
            if long { print("fuzz: \(note)") }
            try note.write(toFile: Self.folder + "/current.txt", atomically: false, encoding: .utf8)
            let path = try Self.write(bytes, format: format, as: "input")

            let began = ContinuousClock.now
            var refusal: String?
            do {
                try await format.run(path, base.name)
            } catch {
                refusal = "\(error)"
            }
            let took = ContinuousClock.now - began
            tallies[slot].count(took, refusal: refusal, note: note)

            if let refusal {
                #expect(!refusal.isEmpty, "\(note): the error is empty")
                Self.expectOneShortLine(refusal, note: note)
            }
            #expect(took < Self.hang, "\(note): took \(took)")
        }
        let wall = ContinuousClock.now - start
        print("fuzz: seed \(seed), \(count) inputs in \(String(format: "%.1f", seconds(wall))) s")
        for tally in tallies { print("fuzz: " + tally.summary) }
        for tally in tallies { for (note, took) in tally.slowInputs { print("fuzz: slow (\(took)): \(note)") } }
    }

    static func expectOneShortLine(_ refusal: String, note: String) {
        #expect(!refusal.contains("\n") && !refusal.contains("\r"), "\(note): the error spans lines: \(refusal.prefix(2000))")
        #expect(refusal.count <= longestError, "\(note): the error has \(refusal.count) characters: \(refusal.prefix(2000))")
    }

    /// $TMPDIR/kernelcast-fuzz: the input being read, so a crash leaves it behind.
    static let folder: String = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kernelcast-fuzz")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }()

    /// Writes `bytes` as `name`, one file per test, as the two tests run side by side.
    static func write(_ bytes: [UInt8], format: Format, as name: String) throws -> String {
        let path = folder + "/" + name + "." + format.fileExtension
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Outcomes of one format's inputs.
struct Tally {
    var format: String
    var inputs = 0, accepted = 0, rejected = 0
    var slowest: Duration = .zero
    var slowestNote = ""
    var slowInputs: [(String, Duration)] = []

    mutating func count(_ took: Duration, refusal: String?, note: String) {
        inputs += 1
        if refusal == nil { accepted += 1 } else { rejected += 1 }
        if took > slowest { slowest = took; slowestNote = note }
        if took > FuzzTests.slow { slowInputs.append((note, took)) }
    }

    var summary: String {
        "\(format): \(inputs) inputs, \(accepted) accepted, \(rejected) rejected, slowest \(String(format: "%.0f", seconds(slowest) * 1000)) ms (\(slowestNote))"
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
