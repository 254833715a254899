import Foundation
import XCTest
import Evaluation
import ImageIO

final class ContinuityEvaluationTests: XCTestCase {
    var results: URL!

    override func setUpWithError() throws {
        results = FileManager.default.temporaryDirectory.appendingPathComponent("continuity-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: results)
    }

    /// A textured image whose every sample lies in [20, 170], so that adding up to 50 never clips.
    func base(_ w: Int, _ h: Int, seed: Int) -> RGBImage {
        var img = RGBImage(width: w, height: h)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 {
            img[x, y, c] = UInt8(20 + (x * 7 + y * 13 + c * 29 + seed * 31 + (x * y) % 17) % 151)
        } } }
        return img
    }

    func brightened(_ img: RGBImage, by delta: Int) -> RGBImage {
        RGBImage(width: img.width, height: img.height, pixels: img.pixels.map { UInt8(Int($0) + delta) })
    }

    /// Writes `{name}/{name}_enhlvl_{NN}.png` for the given levels (input `99` = `input`), as predict does.
    @discardableResult
    func writeTrajectory(_ name: String, input: RGBImage, levels: [Int: RGBImage]) throws -> URL {
        let folder = results.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try PNGFile.write(input, to: folder.appendingPathComponent("\(name)_enhlvl_99.png"))
        for (level, img) in levels {
            try PNGFile.write(img, to: folder.appendingPathComponent(String(format: "%@_enhlvl_%02d.png", name, level)))
        }
        return folder
    }

    /// Level i is the input brightened by `step * i`.
    func linearTrajectory(_ name: String, seed: Int, step: Int, skipping: Int? = nil, size: (Int, Int) = (24, 20)) throws
        -> (input: RGBImage, levels: [RGBImage]) {
        let input = base(size.0, size.1, seed: seed)
        let levels = (0...10).map { brightened(input, by: step * $0) }
        var files: [Int: RGBImage] = [:]
        for (i, img) in levels.enumerated() where i != skipping { files[i] = img }
        try writeTrajectory(name, input: input, levels: files)
        return (input, levels)
    }

    func decode<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: url))
    }

    func testL2TrajectoryGivesTheExpectedNumbersAndFiles() throws {
        try linearTrajectory("img_a", seed: 1, step: 5)
        try linearTrajectory("img_b", seed: 2, step: 3)
        let report = try ContinuityEvaluation(distance: .l2).evaluate(resultsFolder: results)
        XCTAssertEqual(report.failures, [])
        XCTAssertEqual(Set(report.distances.keys), ["img_a", "img_b"])

        // Every sample moves by `step` per level: RMS differences are exact multiples of step / 255.
        let all = try decode([String: ContinuityMetrics.Distances].self, results.appendingPathComponent("lpips_all_.json"))
        XCTAssertEqual(all.count, 2)
        for (name, step) in [("img_a", 5.0), ("img_b", 3.0)] {
            let d = try XCTUnwrap(all[name])
            XCTAssertEqual(d.adj.count, 10)
            XCTAssertEqual(d.against1.count, 11)
            for v in d.adj { XCTAssertEqual(v, step / 255, accuracy: 1e-12) }
            for (i, v) in d.against1.enumerated() { XCTAssertEqual(v, Double(i) * step / 255, accuracy: 1e-12) }
        }
        let metrics = try decode(ContinuityMetrics.self, results.appendingPathComponent("Continuity_Metric.json"))
        XCTAssertEqual(metrics, ContinuityMetrics(distances: all))
        XCTAssertEqual(metrics, report.metrics)
        XCTAssertEqual(metrics.range, (50.0 / 255 + 30.0 / 255) / 2, accuracy: 1e-12)
        XCTAssertEqual(metrics.smoothness, (5.0 / 255 + 3.0 / 255) / 2, accuracy: 1e-12)
        XCTAssertEqual(metrics.absoluteLinearity, 1, accuracy: 1e-12)
        XCTAssertEqual(metrics.relativeLinearity, 1, accuracy: 1e-12)

        // The reference's file names and layout; no temporary files left behind.
        for name in ["img_a", "img_b"] {
            let this = results.appendingPathComponent(name).appendingPathComponent("lpips_this.json")
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: this)) as? [String: Any])
            let inner = try XCTUnwrap(object["this_lpips"] as? [String: Any])
            XCTAssertEqual(inner["adj"] as? [Double], all[name]!.adj)
            XCTAssertEqual(inner["distance"] as? String, "l2")
        }
        let top = try FileManager.default.contentsOfDirectory(atPath: results.path).sorted()
        XCTAssertEqual(top, ["Continuity_Metric.json", "img_a", "img_b", "lpips_all_.json"])
        XCTAssertEqual(report.written.count, 4)
    }

    func testSSIMFallbackMatchesImageMetricsAndSaysSo() throws {
        // Level i brightened by i (i + 1) / 2 (at most 55, so nothing clips): growing steps, not linear.
        let input = base(32, 28, seed: 5)
        let levels = (0...10).map { brightened(input, by: $0 * ($0 + 1) / 2) }
        try writeTrajectory("scene", input: input, levels: Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($0, $1) }))
        let report = try ContinuityEvaluation(distance: .ssim).evaluate(resultsFolder: results)
        XCTAssertEqual(report.failures, [])
        let d = try XCTUnwrap(report.distances["scene"])
        XCTAssertEqual(d.adj, (0..<10).map { 1 - ImageMetrics.ssim(levels[$0 + 1], levels[$0]) })
        XCTAssertEqual(d.against1, levels.map { 1 - ImageMetrics.ssim(input, $0) })

        let all = try decode([String: ContinuityMetrics.Distances].self, results.appendingPathComponent("lpips_all_.json"))
        XCTAssertEqual(all, ["scene": d])
        let metricsURL = results.appendingPathComponent("Continuity_Metric.json")
        let m = ContinuityMetrics(distances: all)
        XCTAssertEqual(try decode(ContinuityMetrics.self, metricsURL), m)
        // Python's json.dump layout, the reference's key order, and the extra "distance" key.
        XCTAssertEqual(try String(contentsOf: metricsURL, encoding: .utf8),
                       "{\"Range\": \(m.range), \"Smoothness\": \(m.smoothness), \"AbsoluteLinearity\": \(m.absoluteLinearity), "
                       + "\"RelativeLinearity\": \(m.relativeLinearity), \"distance\": \"ssim\"}")
        let allText = try String(contentsOf: results.appendingPathComponent("lpips_all_.json"), encoding: .utf8)
        XCTAssertTrue(allText.hasPrefix("{\"scene\": {\"adj\": [\(d.adj[0]), "), allText)
        XCTAssertTrue(allText.hasSuffix(", \(d.against1[10])], \"distance\": \"ssim\"}}"), allText)
    }

    func testLPIPSTrajectoryUsesTheSameDistancesAsPairwiseCalls() throws {
        let model = try LPIPSFixtures.model()
        let input = try ImageFile.readRGB(LPIPSFixtures.folder.appendingPathComponent("a_64x64.png"))
        let levels = (0...10).map { brightened(base(64, 64, seed: 9), by: 4 * $0) }
        try writeTrajectory("photo", input: input, levels: Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($0, $1) }))
        let report = try ContinuityEvaluation(distance: .lpips(model)).evaluate(resultsFolder: results)
        let d = try XCTUnwrap(report.distances["photo"])
        // Argument order as Cal_LPIPS_Tragectory.py: lpips(level i+1, level i) and lpips(input, level i).
        XCTAssertEqual(d.adj, try (0..<10).map { try model.distance(levels[$0 + 1], levels[$0]) })
        XCTAssertEqual(d.against1, try levels.map { try model.distance(input, $0) })
        // With LPIPS the files are exactly the reference's: no "distance" key.
        let text = try String(contentsOf: results.appendingPathComponent("Continuity_Metric.json"), encoding: .utf8)
        XCTAssertFalse(text.contains("distance"), text)
        XCTAssertTrue(text.hasPrefix("{\"Range\": "), text)
    }

    func testFoldersWithMissingLevelsAreReportedAndSkipped() throws {
        try linearTrajectory("good", seed: 1, step: 2)
        try linearTrajectory("holey", seed: 2, step: 2, skipping: 7)
        // An odd size among the levels.
        let odd = base(24, 20, seed: 3)
        var levels = Dictionary(uniqueKeysWithValues: (0...10).map { ($0, brightened(odd, by: $0)) })
        levels[4] = base(20, 24, seed: 3)
        try writeTrajectory("mixed", input: odd, levels: levels)
        // A hidden folder and a loose file are not image folders.
        try FileManager.default.createDirectory(at: results.appendingPathComponent(".cache"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: results.appendingPathComponent("notes.txt"))

        let report = try ContinuityEvaluation(distance: .l2).evaluate(resultsFolder: results)
        XCTAssertEqual(Array(report.distances.keys), ["good"])
        XCTAssertEqual(report.failures.map(\.image), ["holey", "mixed"])
        XCTAssertTrue(report.failures[0].message.contains("holey_enhlvl_07.png"), report.failures[0].message)
        XCTAssertTrue(report.failures[1].message.contains("mixed_enhlvl_04.png"), report.failures[1].message)
        let all = try decode([String: ContinuityMetrics.Distances].self, results.appendingPathComponent("lpips_all_.json"))
        XCTAssertEqual(Array(all.keys), ["good"])

        XCTAssertThrowsError(try ContinuityEvaluation(distance: .l2).trajectory(inImageFolder: results.appendingPathComponent("holey"))) { error in
            XCTAssertEqual(error as? EvaluationError, .missingLevels(folder: results.appendingPathComponent("holey").relativePath,
                                                                     files: ["holey_enhlvl_07.png"]))
        }
    }

    func testNothingToEvaluateWritesNothing() throws {
        XCTAssertThrowsError(try ContinuityEvaluation(distance: .ssim).evaluate(resultsFolder: results)) { error in
            guard case .noImageFolders = error as? EvaluationError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ContinuityEvaluation(distance: .ssim).evaluate(resultsFolder: results.appendingPathComponent("absent")))
        try linearTrajectory("only", seed: 1, step: 2, skipping: 0)
        let report = try ContinuityEvaluation(distance: .ssim).evaluate(resultsFolder: results)
        XCTAssertNil(report.metrics)
        XCTAssertEqual(report.failures.count, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: results.path), ["only"])
    }

    func testPythonJSONWritesWhatJsonDumpWrites() {
        // json.dumps({"a": [0.1, 1e-05, 1.0, nan, inf], "é\"\n": -0.0}) in Python 3.
        let v = PythonJSON.object([("a", .array([.number(0.1), .number(1e-05), .number(1), .number(.nan), .number(.infinity)])),
                                   ("é\"\n", .number(-0.0))])
        XCTAssertEqual(v.text, "{\"a\": [0.1, 1e-05, 1.0, NaN, Infinity], \"\\u00e9\\\"\\n\": -0.0}")
    }
}
