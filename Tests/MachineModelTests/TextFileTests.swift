import Foundation
import Testing
@testable import MachineModel

/// What is wrong with a file itself is one line naming it, and where in it when the bytes are at fault.
@Suite struct TextFileTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kc-text-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func message(_ path: String) -> String {
        do {
            _ = try TextFile.read(path)
            return "read"
        } catch {
            return error.description
        }
    }

    @Test func eachUnreadableFileSaysWhy() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let p = folder.path
        #expect(message("\(p)/missing.yaml") == "\(p)/missing.yaml: error: cannot read the file: No such file or directory")
        #expect(message(p) == "\(p): error: is a folder; expected a file")
        try Data("version: 1\nname: \u{FF}x\n".utf8).write(to: folder.appendingPathComponent("latin.yaml"))
        var bytes = Array("version: 1\nname: ".utf8)
        bytes.append(0xFF)
        try Data(bytes).write(to: folder.appendingPathComponent("binary.yaml"))
        #expect(message("\(p)/binary.yaml") == "\(p)/binary.yaml:2:7: error: not UTF-8 text: byte 0xFF cannot start or continue a character")
        try Data("version: 1\nname: a\u{1}b\n".utf8).write(to: folder.appendingPathComponent("control.yaml"))
        #expect(message("\(p)/control.yaml") == "\(p)/control.yaml:2:8: error: control character U+0001; expected text")
        try FileManager.default.createSymbolicLink(atPath: "\(p)/a", withDestinationPath: "\(p)/b")
        try FileManager.default.createSymbolicLink(atPath: "\(p)/b", withDestinationPath: "\(p)/a")
        #expect(message("\(p)/a") == "\(p)/a: error: cannot read the file: Too many levels of symbolic links")
        // Valid UTF-8 (here, a Latin letter written as two bytes) reads.
        #expect(message("\(p)/latin.yaml") == "read")
    }
}
