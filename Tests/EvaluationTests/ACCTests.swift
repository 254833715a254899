import Foundation
import XCTest
import Evaluation
import ImageIO
import Kernels
import Model

/// The fixtures of scripts/make_acc_fixtures.py (Tests/Fixtures/acc): the reference's ACC classifier layout
/// (`resnet50.*` with torchvision's key names at a sixteenth of the widths, `fcs.*`), random weights and batch-norm
/// statistics, PNGs with torch's fc outputs and logits, and a two-image trajectory with the reference's scores.
enum ACCFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/acc")
    static var classifier: URL { folder.appendingPathComponent("classifier.pth") }

    struct Expected: Decodable {
        struct Image: Decodable { let fc: [Double], logit: Double, score: Double }
        struct Trajectory: Decodable {
            let score_this: [String: [[Double]]]
            let score_all: [Double], score_mean: Double, fraction_target: [Double], mean_score: [Double]
        }
        let images: [String: Image]
        let traj_cal1: Trajectory?
        let traj_cal0: Trajectory?
    }

    static func expected(in folder: URL = folder) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
    }
}

final class ACCTests: XCTestCase {
    func checkAgainstPyTorch(folder: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let net = try ResNet50(contentsOf: folder.appendingPathComponent("classifier.pth"))
        let expected = try ACCFixtures.expected(in: folder)
        XCTAssertFalse(expected.images.isEmpty, file: file, line: line)
        for (name, e) in expected.images.sorted(by: { $0.key < $1.key }) {
            let x = ACCEvaluation.input(try ImageFile.readRGB(folder.appendingPathComponent(name)))
            let fc = net.fcOutputs(x)
            let fcScale = max(1, e.fc.map(abs).max()!)
            XCTAssertEqual(fc.count, e.fc.count, file: file, line: line)
            for (g, w) in zip(fc, e.fc) {
                XCTAssertEqual(Double(g), w, accuracy: 1e-4 * fcScale, "\(name) fc", file: file, line: line)
            }
            let logit = Double(net.logits(x)[0])
            XCTAssertEqual(logit, e.logit, accuracy: 1e-4 * max(1, abs(e.logit)), "\(name) logit", file: file, line: line)
            XCTAssertEqual(Double(net.domainAScores(x)[0]), e.score, accuracy: 1e-5, "\(name) score", file: file, line: line)
        }
    }

    func testNarrowNetworkMatchesPyTorch() throws {
        let net = try ResNet50(contentsOf: ACCFixtures.classifier)
        XCTAssertEqual(net.stem.outChannels, 4)
        XCTAssertEqual(net.widths, [16, 32, 64, 128])
        XCTAssertEqual(net.layers.map(\.count), [3, 4, 6, 3])
        guard case .mlp(let head) = net.head else { return XCTFail("expected the reference's fcs head") }
        XCTAssertEqual(head.map(\.outFeatures), [64, 32, 1])
        try checkAgainstPyTorch(folder: ACCFixtures.folder)
    }

    /// Opt-in: a full-width random resnet50 (about 100 MB), too big to commit.
    /// `python3 scripts/make_acc_fixtures.py --full DIR`, then `MONOPIX_ACC_FULL_FIXTURES=DIR swift test … --filter ACC`.
    func testFullWidthNetworkMatchesPyTorch() throws {
        guard let dir = ProcessInfo.processInfo.environment["MONOPIX_ACC_FULL_FIXTURES"] else {
            throw XCTSkip("set MONOPIX_ACC_FULL_FIXTURES to a folder written by make_acc_fixtures.py --full")
        }
        let net = try ResNet50(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("classifier.pth"))
        XCTAssertEqual(net.widths, [256, 512, 1024, 2048])
        try checkAgainstPyTorch(folder: URL(fileURLWithPath: dir))
    }

    /// A copy of the fixture trajectory in a temporary folder (the evaluation writes into it).
    func trajectoryCopy() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("acc-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: ACCFixtures.folder.appendingPathComponent("traj"), to: dir)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func checkTrajectory(targetA: Bool) throws {
        let expected = try XCTUnwrap(targetA ? ACCFixtures.expected().traj_cal1 : ACCFixtures.expected().traj_cal0)
        let dir = try trajectoryCopy()
        let evaluation = ACCEvaluation(classifier: try ResNet50(contentsOf: ACCFixtures.classifier), targetIsDomainA: targetA)
        let ckpt = URL(fileURLWithPath: "/somewhere/epoch50_resnet50.pth")
        var seen: [String] = []
        let report = try evaluation.evaluate(resultsFolder: dir, checkpoint: ckpt) { name, _, _ in seen.append(name) }
        // `skipped.folder` has a '.' in its name: the reference skips it.
        XCTAssertEqual(seen, ["alpha", "beta"])
        XCTAssertTrue(report.failures.isEmpty, "\(report.failures)")
        XCTAssertEqual(report.scores.map(\.image), ["alpha", "beta"])
        for (image, levels) in report.scores {
            let want = try XCTUnwrap(expected.score_this[image]).map { $0[0] }
            for (l, (g, w)) in zip(levels, want).enumerated() {
                XCTAssertEqual(g, w, accuracy: 1e-5, "\(image) level \(l)")
            }
        }
        XCTAssertEqual(report.levelFractions, expected.fraction_target)
        for (g, w) in zip(report.levelMeans, expected.mean_score) { XCTAssertEqual(g, w, accuracy: 1e-5) }
        for (g, w) in zip(report.best, expected.score_all) { XCTAssertEqual(g, w, accuracy: 1e-5) }
        XCTAssertEqual(report.mean, expected.score_mean, accuracy: 1e-5)

        // The reference's files, read back.
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("Score_ACC50.json"))) as! [String: Any]
        XCTAssertEqual((summary["score_mean"] as! NSNumber).doubleValue, expected.score_mean, accuracy: 1e-5)
        XCTAssertEqual((summary["score_all"] as! [NSNumber]).count, 2)
        let this = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("alpha/score_this.json"))) as! [String: Any]
        let rows = this["score_this"] as! [[NSNumber]]
        XCTAssertEqual(rows.count, 11)
        XCTAssertEqual(rows[3][0].doubleValue, expected.score_this["alpha"]![3][0], accuracy: 1e-5)
        let perLevel = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(ACCEvaluation.perLevelFileName))) as! [String: Any]
        XCTAssertEqual((perLevel["fraction_target"] as! [NSNumber]).map(\.doubleValue), expected.fraction_target)
        XCTAssertEqual(perLevel["target"] as? String, targetA ? "A" : "B")
    }

    func testTrajectoryScoresMatchReferenceDomainA() throws { try checkTrajectory(targetA: true) }
    func testTrajectoryScoresMatchReferenceDomainB() throws { try checkTrajectory(targetA: false) }

    func testSummaryFileNameAsReference() {
        XCTAssertEqual(ACCEvaluation.summaryFileName(checkpoint: URL(fileURLWithPath: "/a/epoch50_resnet50.pth")), "Score_ACC50.json")
        XCTAssertEqual(ACCEvaluation.summaryFileName(checkpoint: URL(fileURLWithPath: "/a/epoch50.pth")), "Score_ACC50.pth.json")
        XCTAssertEqual(ACCEvaluation.summaryFileName(checkpoint: URL(fileURLWithPath: "cls.pth")), "Score_ACCth.json")
    }

    func testMissingLevelIsReportedAndSkipped() throws {
        let dir = try trajectoryCopy()
        try FileManager.default.removeItem(at: dir.appendingPathComponent("beta/beta_enhlvl_07.png"))
        let evaluation = ACCEvaluation(classifier: try ResNet50(contentsOf: ACCFixtures.classifier), targetIsDomainA: true)
        let report = try evaluation.evaluate(resultsFolder: dir, checkpoint: ACCFixtures.classifier)
        XCTAssertEqual(report.scores.map(\.image), ["alpha"])
        XCTAssertEqual(report.failures.map(\.image), ["beta"])
        XCTAssertTrue(report.failures[0].message.contains("beta_enhlvl_07.png"), report.failures[0].message)
    }

    func testMissingKeyNamesFileAndKey() throws {
        var sd = try StateDict.load(contentsOf: ACCFixtures.classifier)
        sd["resnet50.layer3.4.bn2.running_var"] = nil
        XCTAssertThrowsError(try ResNet50(stateDict: sd, file: "cls.pth")) { error in
            XCTAssertEqual(error as? EvaluationError, .missingWeight(file: "cls.pth", key: "resnet50.layer3.4.bn2.running_var",
                                                                     expected: "the batch norm after layer3.4.conv2"))
            XCTAssertTrue("\(error)".contains("cls.pth") && "\(error)".contains("resnet50.layer3.4.bn2.running_var"), "\(error)")
        }
        var noHead = try StateDict.load(contentsOf: ACCFixtures.classifier)
        noHead["fcs.0.weight"] = nil
        XCTAssertThrowsError(try ResNet50(stateDict: noHead, file: "cls.pth")) { error in
            XCTAssertTrue("\(error)".contains("fcs.0.weight"), "\(error)")
        }
        XCTAssertThrowsError(try ResNet50(stateDict: StateDict(), file: "empty.pth")) { error in
            XCTAssertTrue("\(error)".contains("empty.pth") && "\(error)".contains("conv1.weight"), "\(error)")
        }
    }

    func testWrongShapeNamesFileAndKey() throws {
        var sd = try StateDict.load(contentsOf: ACCFixtures.classifier)
        let key = "resnet50.layer2.0.conv2.weight"
        let t = try XCTUnwrap(sd[key])
        sd[key] = StoredTensor(shape: [t.shape[0], t.shape[1], 1, 9], values: t.values)
        XCTAssertThrowsError(try ResNet50(stateDict: sd, file: "cls.pth")) { error in
            guard case .badWeightShape(let file, let k, let shape, _) = error as? EvaluationError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "cls.pth"); XCTAssertEqual(k, key); XCTAssertEqual(shape, [t.shape[0], t.shape[1], 1, 9])
        }
        var fc = try StateDict.load(contentsOf: ACCFixtures.classifier)
        fc["resnet50.fc.bias"] = StoredTensor(shape: [63], values: [Float](repeating: 0, count: 63))
        XCTAssertThrowsError(try ResNet50(stateDict: fc, file: "cls.pth")) { error in
            XCTAssertTrue("\(error)".contains("resnet50.fc.bias") && "\(error)".contains("[63]"), "\(error)")
        }
    }

    /// A plain torchvision layout (no `resnet50.` prefix, no fcs) with a two-class fc: softmax, class 1 = domain A.
    func testPlainTorchvisionLayoutWithTwoClasses() throws {
        let full = try StateDict.load(contentsOf: ACCFixtures.classifier)
        var sd = StateDict()
        for key in full.keys where key.hasPrefix("resnet50.") && !key.hasPrefix("resnet50.fc.") {
            sd["module." + key.dropFirst("resnet50.".count)] = full[key]
        }
        let fcw = try XCTUnwrap(full["resnet50.fc.weight"])
        sd["module.fc.weight"] = StoredTensor(shape: [2, fcw.shape[1]], values: Array(fcw.values.prefix(2 * fcw.shape[1])))
        sd["module.fc.bias"] = StoredTensor(shape: [2], values: [0.1, -0.2])
        let net = try ResNet50(stateDict: sd, file: "tv.pth")
        guard case .twoClasses = net.head else { return XCTFail("\(net.head)") }
        let x = ACCEvaluation.input(try ImageFile.readRGB(ACCFixtures.folder.appendingPathComponent("img0_48x40.png")))
        let l = net.logits(x)
        XCTAssertEqual(l.count, 2)
        let p1 = exp(Double(l[1])) / (exp(Double(l[0])) + exp(Double(l[1])))
        XCTAssertEqual(Double(net.domainAScores(x)[0]), p1, accuracy: 1e-6)
    }
}
