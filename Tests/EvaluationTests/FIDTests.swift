import Foundation
import XCTest
import Evaluation
import ImageIO
import Kernels
import Model

/// The fixtures of scripts/make_fid_fixtures.py (Tests/Fixtures/fid): pytorch-fid's Inception-v3 layout at a
/// sixteenth of the widths (its module classes and key names, random weights, batch-norm statistics measured on the
/// fixture images), PNGs with their pool3 features from PyTorch, a three-image trajectory and a two-domain data root
/// with pytorch-fid's FIDs (scipy's sqrtm) per selection, and the key names and shapes of the real-width state dict.
enum FIDFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fid")
    static var weights: URL { folder.appendingPathComponent("inception.pth") }

    struct Summary: Decodable {
        let mu_head: [Double], mu_sum: Double, sigma_trace: Double, sigma_sum: Double, sigma_00: Double, sigma_01: Double
    }
    struct Case: Decodable {
        let start_level: Int, domain_a: Bool, fid: Double, fid_eigen: Double, file_name: String
        let generated: [String], real: [String]
        let real_stats: Summary, generated_stats: Summary
    }
    struct Statistics: Decodable {
        let a: [[Float]], b: [[Float]], mu_a: [Double], sigma_a: [[Double]], fid: Double
    }
    struct Expected: Decodable {
        let dimension: Int
        let images: [String: [Double]]
        let trajectory: [Case]?
        let statistics: Statistics?
    }

    static func expected(in folder: URL = folder) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
    }
}

final class FIDTests: XCTestCase {
    static let network = Result { try InceptionV3(contentsOf: FIDFixtures.weights) }

    func network() throws -> InceptionV3 { try Self.network.get() }

    func checkFeatures(network: InceptionV3, folder: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try FIDFixtures.expected(in: folder)
        XCTAssertEqual(network.featureDimension, expected.dimension, file: file, line: line)
        XCTAssertFalse(expected.images.isEmpty, file: file, line: line)
        for (name, want) in expected.images.sorted(by: { $0.key < $1.key }) {
            let got = network.features(of: [try ImageFile.readRGB(folder.appendingPathComponent(name))])
            XCTAssertEqual(got.count, want.count, name, file: file, line: line)
            let scale = max(1, want.map(abs).max()!)
            var worst = 0.0
            for (g, w) in zip(got, want) { worst = max(worst, abs(Double(g) - w)) }
            XCTAssertLessThan(worst, 1e-4 * scale, "\(name): largest feature difference \(worst)", file: file, line: line)
        }
    }

    func testNarrowNetworkFeaturesMatchPyTorch() throws {
        let net = try network()
        XCTAssertEqual(net.stem.map(\.outChannels), [2, 2, 4, 5, 12])
        XCTAssertEqual(net.blocks.map(\.name), InceptionV3.mixedBlocks.map(\.name))
        XCTAssertEqual(net.blocks.map(\.outChannels), [16, 18, 18, 48, 48, 48, 48, 48, 80, 128, 128])
        try checkFeatures(network: net, folder: FIDFixtures.folder)
    }

    /// Opt-in: a full-width random network (about 90 MB), too big to commit.
    /// `python3 scripts/make_fid_fixtures.py --full DIR`, then `MONOPIX_FID_FULL_FIXTURES=DIR swift test … --filter FID`.
    func testFullWidthNetworkMatchesPyTorch() throws {
        guard let dir = ProcessInfo.processInfo.environment["MONOPIX_FID_FULL_FIXTURES"] else {
            throw XCTSkip("set MONOPIX_FID_FULL_FIXTURES to a folder written by make_fid_fixtures.py --full")
        }
        let folder = URL(fileURLWithPath: dir)
        let net = try InceptionV3(contentsOf: folder.appendingPathComponent("inception.pth"))
        XCTAssertEqual(net.featureDimension, 2048)
        try checkFeatures(network: net, folder: folder)
    }

    /// The real weights file's keys (pytorch-fid's `fid_inception_v3().state_dict()` at full width, from the fixture
    /// script) are exactly the ones the loader reads plus `fc.*` and `num_batches_tracked`, with the kernel sizes it
    /// expects; a state dict of those shapes loads as a 2048-feature network.
    func testFullWidthKeysMatchTheLoader() throws {
        let data = try Data(contentsOf: FIDFixtures.folder.appendingPathComponent("full_keys.json"))
        let shapes = try JSONDecoder().decode([String: [Int]].self, from: data)
        let read = Set(shapes.keys.filter { !$0.hasSuffix("num_batches_tracked") && !$0.hasPrefix("fc.") })
        XCTAssertEqual(Set(InceptionV3.stateDictKeys), read)
        XCTAssertEqual(InceptionV3.stateDictKeys.count, 94 * 5)
        XCTAssertEqual(Set(shapes.keys).subtracting(read), Set(["fc.weight", "fc.bias"] + shapes.keys.filter { $0.hasSuffix("num_batches_tracked") }))
        for (key, size) in InceptionV3.kernelSizes {
            let shape = try XCTUnwrap(shapes[key], key)
            XCTAssertEqual(shape.count, 4, key)
            XCTAssertEqual(shape[2], size.0, key)
            XCTAssertEqual(shape[3], size.1, key)
        }
        var sd = StateDict()
        for key in InceptionV3.stateDictKeys {
            let shape = shapes[key]!
            let count = shape.reduce(1, *)
            sd[key] = StoredTensor(shape: shape, values: [Float](repeating: key.hasSuffix("running_var") ? 1 : 0, count: count))
        }
        let net = try InceptionV3(stateDict: sd, file: "pt_inception-2015-12-05-6726825d.pth")
        XCTAssertEqual(net.featureDimension, 2048)
        XCTAssertEqual(net.stem.map(\.outChannels), [32, 32, 64, 80, 192])
        XCTAssertEqual(net.blocks.map(\.outChannels), [256, 288, 288, 768, 768, 768, 768, 768, 1280, 2048, 2048])
    }

    func testStatisticsAndDistanceMatchScipy() throws {
        let s = try XCTUnwrap(FIDFixtures.expected().statistics)
        let d = s.a[0].count
        let a = try FeatureStatistics(features: s.a.flatMap { $0 }, dimension: d)
        let b = try FeatureStatistics(features: s.b.flatMap { $0 }, dimension: d)
        XCTAssertEqual(a.count, 60)
        for (g, w) in zip(a.mean, s.mu_a) { XCTAssertEqual(g, w, accuracy: 1e-12 * max(1, abs(w))) }
        for (g, w) in zip(a.covariance, s.sigma_a.flatMap { $0 }) { XCTAssertEqual(g, w, accuracy: 1e-12 * max(1, abs(w))) }
        let fid = try frechetDistance(a, b)
        XCTAssertEqual(fid, s.fid, accuracy: 1e-9 * s.fid)
        XCTAssertEqual(try frechetDistance(a, a), 0, accuracy: 1e-9)
        XCTAssertEqual(try frechetDistance(b, a), fid, accuracy: 1e-9 * fid)
        XCTAssertThrowsError(try FeatureStatistics(features: [1, 2, 3], dimension: 3)) { error in
            XCTAssertEqual(error as? FrechetDistanceError, .tooFewSamples(count: 1))
        }
    }

    /// Two Gaussians with known covariances: diag(4, 9) and diag(1, 1) give tr sqrtm = 2 + 3.
    func testTraceOfSquareRootOfProduct() throws {
        XCTAssertEqual(try traceOfSquareRootOfProduct([4, 0, 0, 9], [1, 0, 0, 1], dimension: 2), 5, accuracy: 1e-12)
        // Not diagonal, not commuting: S1 = [[2, 1], [1, 2]], S2 = [[1, 0], [0, 4]]; S1 S2 has eigenvalues 5 ± sqrt(13).
        let want = (5 + 13.0.squareRoot()).squareRoot() + (5 - 13.0.squareRoot()).squareRoot()
        XCTAssertEqual(try traceOfSquareRootOfProduct([2, 1, 1, 2], [1, 0, 0, 4], dimension: 2), want, accuracy: 1e-12)
        // Singular (rank 1) stays finite: eigenvalues 0 and tr.
        XCTAssertEqual(try traceOfSquareRootOfProduct([1, 1, 1, 1], [1, 0, 0, 1], dimension: 2), 2.0.squareRoot(), accuracy: 1e-9)
    }

    /// A copy of the fixture trajectory in a temporary folder (the evaluation writes into it).
    func trajectoryCopy(named name: String = "fid-\(UUID().uuidString)") throws -> URL {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("fid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let dir = parent.appendingPathComponent(name)
        try FileManager.default.copyItem(at: FIDFixtures.folder.appendingPathComponent("traj"), to: dir)
        addTeardownBlock { try? FileManager.default.removeItem(at: parent) }
        return dir
    }

    func checkSummary(_ s: FeatureStatistics, _ want: FIDFixtures.Summary, _ what: String) {
        for (g, w) in zip(s.mean, want.mu_head) { XCTAssertEqual(g, w, accuracy: 1e-4 * max(1, abs(w)), "\(what) mu") }
        let n = s.dimension
        let trace = (0..<n).reduce(0.0) { $0 + s.covariance[$1 * n + $1] }
        XCTAssertEqual(trace, want.sigma_trace, accuracy: 1e-4 * max(1, abs(want.sigma_trace)), "\(what) trace")
        XCTAssertEqual(s.covariance[0], want.sigma_00, accuracy: 1e-4 * max(1, abs(want.sigma_00)), "\(what) sigma00")
        XCTAssertEqual(s.covariance[1], want.sigma_01, accuracy: 1e-4 * max(1, abs(want.sigma_01)), "\(what) sigma01")
    }

    func testTrajectoryFIDMatchesPyTorchForEverySelection() throws {
        let cases = try XCTUnwrap(FIDFixtures.expected().trajectory)
        XCTAssertEqual(cases.count, 5)
        let fixtures = FIDFixtures.folder.standardizedFileURL.path + "/"
        for c in cases {
            let dir = try trajectoryCopy()
            let evaluation = FIDEvaluation(network: try network(), startLevel: c.start_level, domainA: c.domain_a)
            let what = "start \(c.start_level) domain \(c.domain_a ? "A" : "B")"
            // The selection, file by file, as the reference makes it.
            let generated = try evaluation.generatedFiles(in: dir).map { "traj/" + $0.path.dropFirst(dir.path.count + 1) }
            XCTAssertEqual(generated, c.generated, what)
            let real = try evaluation.realFiles(in: FIDFixtures.folder.appendingPathComponent("data"), resultsPath: dir.path)
                .map { String($0.standardizedFileURL.path.dropFirst(fixtures.count)) }
            XCTAssertEqual(real, c.real, what)

            var phases: [FIDEvaluation.Phase: Int] = [:]
            let report = try evaluation.evaluate(resultsFolder: dir, real: FIDFixtures.folder.appendingPathComponent("data")) { phase, done, count in
                XCTAssertLessThanOrEqual(done, count)
                phases[phase] = done
            }
            XCTAssertEqual(phases[.real], c.real.count, what)
            XCTAssertEqual(phases[.generated], c.generated.count, what)
            XCTAssertEqual(report.generatedCount, c.generated.count)
            XCTAssertEqual(report.realCount, c.real.count)
            checkSummary(report.real, c.real_stats, "\(what) real")
            checkSummary(report.generated, c.generated_stats, "\(what) generated")
            XCTAssertEqual(report.fid, c.fid, accuracy: 1e-3 * c.fid, what)
            XCTAssertEqual(report.written.lastPathComponent, c.file_name, what)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report.written)) as! [String: Any]
            XCTAssertEqual(Array(json.keys), ["FID_all"])
            // Foundation's JSON parser is not correctly rounded: the last digit may differ from the written repr.
            XCTAssertEqual((json["FID_all"] as! NSNumber).doubleValue, report.fid, accuracy: 1e-12 * report.fid, what)
            let text = try String(contentsOf: report.written, encoding: .utf8)
            XCTAssertEqual(text, "{\"FID_all\": \(report.fid)}", what)
        }
    }

    func testSelectionSemantics() throws {
        let net = try network()
        let dir = try trajectoryCopy()
        let end = FIDEvaluation(network: net, startLevel: 10, domainA: true)
        // `skipped.folder` has a '.' in its name: the reference skips it. One file per image at level 10.
        XCTAssertEqual(try end.generatedFiles(in: dir).map(\.lastPathComponent),
                       ["alpha_enhlvl_10.png", "beta_enhlvl_10.png", "gamma_enhlvl_10.png"])
        let whole = FIDEvaluation(network: net, startLevel: 0, domainA: false)
        let all = try whole.generatedFiles(in: dir)
        XCTAssertEqual(all.count, 33)
        XCTAssertFalse(all.contains { $0.lastPathComponent.hasSuffix("_99.png") })
        XCTAssertEqual(try FIDEvaluation(network: net, startLevel: 7, domainA: true).generatedFiles(in: dir).count, 12)

        // Real images: a data root picks the reference's domain folders; a plain folder is used whole.
        let data = FIDFixtures.folder.appendingPathComponent("data")
        XCTAssertEqual(try whole.realFiles(in: data, resultsPath: "results/exp").count, 8)
        XCTAssertEqual(try end.realFiles(in: data, resultsPath: "results/exp").map { $0.deletingLastPathComponent().lastPathComponent },
                       Array(repeating: "trainA_Cat", count: 4))
        let b = FIDEvaluation(network: net, startLevel: 10, domainA: false)
        XCTAssertEqual(Set(try b.realFiles(in: data, resultsPath: "results/exp").map { $0.deletingLastPathComponent().lastPathComponent }),
                       ["trainB_Dog"])
        XCTAssertEqual(try b.realFiles(in: data.appendingPathComponent("trainA_Cat"), resultsPath: "x").count, 4)
        // A Yosemite experiment (S2W, W2S or SW in its path) wants trainA_Winter / trainB_Summer.
        XCTAssertThrowsError(try end.realFiles(in: data, resultsPath: "results/S2W_exp")) { error in
            // No Yosemite folders in the AFHQ data root: the folder itself has no images either.
            XCTAssertTrue("\(error)".contains("no PNG or JPEG images"), "\(error)")
        }

        // The reference's file names.
        XCTAssertEqual(end.summaryFileName(resultsPath: "results/afhq"), "FID_Cat_startlvl_10_.json")
        XCTAssertEqual(b.summaryFileName(resultsPath: "results/afhq"), "FID_Dog_startlvl_10_.json")
        XCTAssertEqual(whole.summaryFileName(resultsPath: "results/afhq"), "FID_AFHQ_startlvl_0_wholetraj.json")
        XCTAssertEqual(end.summaryFileName(resultsPath: "results/S2W"), "FID_Winter_startlvl_10_.json")
        XCTAssertEqual(b.summaryFileName(resultsPath: "results/W2S_x"), "FID_Summer_startlvl_10_.json")
        XCTAssertEqual(whole.summaryFileName(resultsPath: "SW/exp"), "FID_Yosemite_startlvl_0_wholetraj.json")
        XCTAssertEqual(FIDEvaluation(network: net, startLevel: 5, domainA: false).summaryFileName(resultsPath: "e"), "FID_Dog_startlvl_5_.json")
    }

    func testMissingLevelNamesTheFile() throws {
        let dir = try trajectoryCopy()
        try FileManager.default.removeItem(at: dir.appendingPathComponent("beta/beta_enhlvl_07.png"))
        let evaluation = FIDEvaluation(network: try network(), startLevel: 5, domainA: true)
        XCTAssertThrowsError(try evaluation.generatedFiles(in: dir)) { error in
            XCTAssertTrue("\(error)".contains("beta_enhlvl_07.png"), "\(error)")
        }
        // Level 7 is not needed from start level 8 on.
        XCTAssertEqual(try FIDEvaluation(network: try network(), startLevel: 8, domainA: true).generatedFiles(in: dir).count, 9)
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("fid-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: empty) }
        XCTAssertThrowsError(try evaluation.realFiles(in: empty, resultsPath: "x")) { error in
            XCTAssertTrue("\(error)".contains("no PNG or JPEG images"), "\(error)")
        }
        XCTAssertThrowsError(try evaluation.generatedFiles(in: empty)) { error in
            XCTAssertTrue("\(error)".contains("no image folders"), "\(error)")
        }
    }

    func testMissingKeyNamesFileAndKey() throws {
        var sd = try StateDict.load(contentsOf: FIDFixtures.weights)
        sd["Mixed_6c.branch7x7dbl_3.bn.running_var"] = nil
        XCTAssertThrowsError(try InceptionV3(stateDict: sd, file: "fid.pth")) { error in
            XCTAssertEqual(error as? EvaluationError, .missingWeight(file: "fid.pth", key: "Mixed_6c.branch7x7dbl_3.bn.running_var",
                                                                     expected: "the batch norm after Mixed_6c.branch7x7dbl_3.conv"))
            XCTAssertTrue("\(error)".contains("fid.pth") && "\(error)".contains("Mixed_6c.branch7x7dbl_3.bn.running_var"), "\(error)")
        }
        var noConv = try StateDict.load(contentsOf: FIDFixtures.weights)
        noConv["Mixed_7c.branch3x3_2b.conv.weight"] = nil
        XCTAssertThrowsError(try InceptionV3(stateDict: noConv, file: "fid.pth")) { error in
            XCTAssertTrue("\(error)".contains("Mixed_7c.branch3x3_2b.conv.weight") && "\(error)".contains("3x1"), "\(error)")
        }
        XCTAssertThrowsError(try InceptionV3(stateDict: StateDict(), file: "empty.pth")) { error in
            XCTAssertTrue("\(error)".contains("empty.pth") && "\(error)".contains("Conv2d_1a_3x3.conv.weight"), "\(error)")
        }
        // Another network's weights (the ACC classifier): named, with the keys it has.
        let acc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/acc/classifier.pth")
        XCTAssertThrowsError(try InceptionV3(contentsOf: acc)) { error in
            XCTAssertTrue("\(error)".contains("classifier.pth") && "\(error)".contains("resnet50."), "\(error)")
        }
    }

    func testWrongShapeNamesFileAndKey() throws {
        var sd = try StateDict.load(contentsOf: FIDFixtures.weights)
        let key = "Mixed_6b.branch7x7_2.conv.weight"
        let t = try XCTUnwrap(sd[key])
        XCTAssertEqual(Array(t.shape[2...]), [1, 7])
        sd[key] = StoredTensor(shape: [t.shape[0], t.shape[1], 7, 1], values: t.values)
        XCTAssertThrowsError(try InceptionV3(stateDict: sd, file: "fid.pth")) { error in
            guard case .badWeightShape(let file, let k, let shape, let expected) = error as? EvaluationError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "fid.pth"); XCTAssertEqual(k, key); XCTAssertEqual(shape, [t.shape[0], t.shape[1], 7, 1])
            XCTAssertEqual(expected, "[out, \(t.shape[1]), 1, 7]")
        }
        // A block whose input width does not match what the previous block concatenates.
        var wide = try StateDict.load(contentsOf: FIDFixtures.weights)
        let k2 = "Mixed_7a.branch3x3_1.conv.weight"
        let t2 = try XCTUnwrap(wide[k2])
        wide[k2] = StoredTensor(shape: [t2.shape[0], t2.shape[1] + 1, 1, 1], values: t2.values + [Float](repeating: 0, count: t2.shape[0]))
        XCTAssertThrowsError(try InceptionV3(stateDict: wide, file: "fid.pth")) { error in
            XCTAssertTrue("\(error)".contains(k2) && "\(error)".contains("[\(t2.shape[0]), \(t2.shape[1] + 1), 1, 1]"), "\(error)")
        }
        var bn = try StateDict.load(contentsOf: FIDFixtures.weights)
        bn["Conv2d_4a_3x3.bn.bias"] = StoredTensor(shape: [3], values: [0, 0, 0])
        XCTAssertThrowsError(try InceptionV3(stateDict: bn, file: "fid.pth")) { error in
            XCTAssertTrue("\(error)".contains("Conv2d_4a_3x3.bn.bias") && "\(error)".contains("[3]"), "\(error)")
        }
    }
}
