import CostModel
import Foundation
import MachineModel
import Refinement
import Testing
import Workloads
@testable import Report

/// The report is checked the way people see it: rendered by headless Chromium (scripts/install-deps installs it),
/// whose DOM must hold the three charts with their points.
@Suite struct ReportTests {
    static func chromium() -> String? {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        where FileManager.default.isExecutableFile(atPath: path) { return path }
        return nil
    }

    func render(_ html: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kc-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("report.html")
        try html.write(to: file, atomically: true, encoding: .utf8)
        guard let chromium = Self.chromium() else {
            Issue.record("headless Chromium is not installed; run scripts/install-deps (Debian package chromium)")
            return ""
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(folder.path)/profile",
                             "--dump-dom", file.absoluteString]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func chromiumRendersTheThreeChartsWithTheirPoints() throws {
        let h100 = try machine("h100-sxm")
        let model = PlanModel(machine: h100)
        let measurements = try h100Measurements.get()
        let small = Measurements(machine: "h100-sxm", spaces: measurements.spaces.filter { $0.name.hasPrefix("gemm-fp16-512x") })
        let points = ReportData.points(small, model: model)
        #expect(points.count == 60)
        let curve = ReportData.Curve(name: "gemm-fp16-512x512x512", kind: "replay", regret: [0.13, 0.12, 0.0], reference: "the exhaustive best")
        let data = ReportData(title: "test report", machine: h100, ceilings: ReportData.ceilings(of: h100, measured: ["compute.peak.matrix.fp16": 7.38e14]),
                              points: points, curves: [curve], sources: ["test"])
        let dom = try render(ReportPage.html(data))
        for id in ["roofline", "scatter", "regret"] { #expect(dom.contains("<svg id=\"\(id)\""), "chart \(id) missing") }
        // Roofline: hollow predicted and filled measured points; scatter: one per measured; regret: one per run.
        #expect(dom.components(separatedBy: "class=\"point\"").count - 1 == 60 * 2 + 60 + 3)
        #expect(dom.contains("matrix fp16 738 TFLOP/s (measured)"))
        #expect(dom.contains("hbm 3.35 TB/s (spec)"))
        #expect(dom.contains("matrix int8 1.979 POP/s (spec)"))
        #expect(!dom.contains("int8 1.979 PFLOP/s"))
    }

    /// The ceiling labels as Chromium lays them out: none overlaps another, each inside the chart.
    @Test func ceilingLabelsDoNotOverlap() throws {
        let h100 = try machine("h100-sxm")
        let data = ReportData(title: "labels", machine: h100, ceilings: ReportData.ceilings(of: h100), points: [], curves: [], sources: [])
        let probe = """
            <script>
            const boxes = [...document.querySelectorAll('#roofline .ceiling-label')].map(t => t.getBBox());
            const svg = document.querySelector('#roofline').viewBox.baseVal;
            let overlaps = 0, outside = 0;
            boxes.forEach((a, i) => {
              if (a.x < 0 || a.y < 0 || a.x + a.width > svg.width || a.y + a.height > svg.height) outside++;
              boxes.slice(i + 1).forEach(b => {
                if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) overlaps++;
              });
            });
            document.body.setAttribute('data-labels', boxes.length + ' labels, ' + overlaps + ' overlaps, ' + outside + ' outside');
            </script>
            """
        let html = ReportPage.html(data).replacingOccurrences(of: "</body>", with: probe + "</body>")
        let dom = try render(html)
        let labels = ReportData.ceilings(of: h100).filter { $0.kind == .compute }.count
        #expect(labels >= 8)
        #expect(dom.contains("data-labels=\"\(labels) labels, 0 overlaps, 0 outside\""), "\(dom.components(separatedBy: "data-labels=").dropFirst().first?.prefix(60) ?? "no probe")")
    }
}
