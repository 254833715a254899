import Foundation
import XCTest
import Evaluation
import ImageIO
import Kernels
import Model

/// The fixtures of scripts/make_lpips_fixtures.py (Tests/Fixtures/lpips): a narrow random AlexNet trunk, random
/// linear heads, six PNGs, and the distances real PyTorch computed with the lpips package's forward pass.
enum LPIPSFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lpips")
    static var alexnet: URL { folder.appendingPathComponent("alexnet.pth") }
    static var lin: URL { folder.appendingPathComponent("lpips_lin.pth") }

    struct Expected: Decodable {
        struct Pair: Decodable { let in0: String, in1: String, lpips: Double, layers: [Double] }
        let widths: [Int]
        let pairs: [Pair]
    }

    static func expected(in folder: URL = folder) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
    }

    static func model() throws -> LPIPS { try LPIPS(alexnetWeights: alexnet, lpipsWeights: lin) }
}

final class LPIPSTests: XCTestCase {
    func checkAgainstPyTorch(folder: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try LPIPS(alexnetWeights: folder.appendingPathComponent("alexnet.pth"),
                              lpipsWeights: folder.appendingPathComponent("lpips_lin.pth"))
        let expected = try LPIPSFixtures.expected(in: folder)
        XCTAssertEqual(model.trunk.widths, expected.widths, file: file, line: line)
        for pair in expected.pairs {
            let a = try ImageFile.readRGB(folder.appendingPathComponent(pair.in0))
            let b = try ImageFile.readRGB(folder.appendingPathComponent(pair.in1))
            let got = try model.distance(a, b)
            XCTAssertEqual(got, pair.lpips, accuracy: 1e-5, "\(pair.in0) vs \(pair.in1)", file: file, line: line)
            let layers = try model.layerDistances(model.features(a), model.features(b))
            for (k, (g, e)) in zip(layers, pair.layers).enumerated() {
                XCTAssertEqual(g, e, accuracy: 1e-5 * max(1, e), "layer \(k), \(pair.in0) vs \(pair.in1)", file: file, line: line)
            }
        }
    }

    func testNarrowNetworkMatchesPyTorch() throws {
        try checkAgainstPyTorch(folder: LPIPSFixtures.folder)
    }

    /// Opt-in: a full-width fixture (random trunk at torchvision's widths, the lpips package's real heads) that is
    /// too big to commit. `python3 scripts/make_lpips_fixtures.py --full DIR --lin-weights alex.pth`, then
    /// `MONOPIX_LPIPS_FULL_FIXTURES=DIR swift test -c release --filter LPIPSTests`.
    func testFullWidthNetworkMatchesPyTorch() throws {
        guard let dir = ProcessInfo.processInfo.environment["MONOPIX_LPIPS_FULL_FIXTURES"] else {
            throw XCTSkip("set MONOPIX_LPIPS_FULL_FIXTURES to a folder written by make_lpips_fixtures.py --full")
        }
        try checkAgainstPyTorch(folder: URL(fileURLWithPath: dir))
    }

    func testIdenticalImagesAreAtDistanceZeroAndTheInputIsScaled() throws {
        let model = try LPIPSFixtures.model()
        let a = try ImageFile.readRGB(LPIPSFixtures.folder.appendingPathComponent("c_45x37.png"))
        XCTAssertEqual(try model.distance(a, a), 0)
        // 8-bit 0 → -1 → (-1 + 0.030) / 0.458; 255 → 1 → (1 + 0.188) / 0.450.
        var img = RGBImage(width: 1, height: 1)
        img[0, 0, 2] = 255
        let x = LPIPS.input(img)
        XCTAssertEqual(x.scalars[0], (Float(-1) - Float(-0.030)) / Float(0.458))
        XCTAssertEqual(x.scalars[2], (Float(1) - Float(-0.188)) / Float(0.450))
    }

    func testTooSmallAndMismatchedImagesAreErrors() throws {
        let model = try LPIPSFixtures.model()
        XCTAssertTrue(AlexNetFeatures.accepts(width: 31, height: 31))
        XCTAssertFalse(AlexNetFeatures.accepts(width: 31, height: 30))
        let small = RGBImage(width: 40, height: 30)
        XCTAssertThrowsError(try model.distance(small, small)) { error in
            XCTAssertEqual(error as? EvaluationError, .imageTooSmall(width: 40, height: 30, minimum: 31))
        }
        XCTAssertThrowsError(try model.distance(RGBImage(width: 40, height: 40), RGBImage(width: 41, height: 40))) { error in
            guard case .sizeMismatch = error as? EvaluationError else { return XCTFail("\(error)") }
        }
    }

    // MARK: weights files

    func temporaryFile(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lpips-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir.appendingPathComponent(name)
    }

    func assertLoadError(alexnet: StateDict? = nil, lin: StateDict? = nil, _ expected: (EvaluationError) -> Bool,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        var alexURL = LPIPSFixtures.alexnet, linURL = LPIPSFixtures.lin
        if let alexnet { alexURL = try temporaryFile("alexnet.safetensors"); try alexnet.write(to: alexURL, format: .safetensors) }
        if let lin { linURL = try temporaryFile("lin.safetensors"); try lin.write(to: linURL, format: .safetensors) }
        XCTAssertThrowsError(try LPIPS(alexnetWeights: alexURL, lpipsWeights: linURL), file: file, line: line) { error in
            guard let e = error as? EvaluationError, expected(e) else {
                return XCTFail("unexpected error: \(error)", file: file, line: line)
            }
            // The message names the file and the key.
            XCTAssertTrue("\(e)".contains((alexnet != nil ? alexURL : linURL).relativePath), "\(e)", file: file, line: line)
        }
    }

    func testMissingAndMisshapedWeightsNameTheFileAndKey() throws {
        let trunk = try StateDict.load(contentsOf: LPIPSFixtures.alexnet)
        let heads = try StateDict.load(contentsOf: LPIPSFixtures.lin)

        var noConv4 = trunk
        noConv4["features.8.weight"] = nil
        try assertLoadError(alexnet: noConv4) { e in
            if case .missingWeight(_, "features.8.weight", _) = e { return "\(e)".contains("features.8.weight") }
            return false
        }
        var noBias = trunk
        noBias["features.3.bias"] = nil
        try assertLoadError(alexnet: noBias) { e in
            if case .missingWeight(_, "features.3.bias", _) = e { return true }
            return false
        }
        var wrongKernel = trunk
        wrongKernel["features.0.weight"] = StoredTensor(shape: [8, 3, 3, 3], values: Array(repeating: 0, count: 216))
        try assertLoadError(alexnet: wrongKernel) { e in
            if case .badWeightShape(_, "features.0.weight", [8, 3, 3, 3], _) = e { return true }
            return false
        }
        var noHead = heads
        noHead["lin3.model.1.weight"] = nil
        try assertLoadError(lin: noHead) { e in
            if case .missingWeight(_, "lin3.model.1.weight", _) = e { return "\(e)".contains("lin3.model.1.weight") }
            return false
        }
        // The real heads (64 channels for relu1) against the narrow trunk (8).
        var wideHead = heads
        wideHead["lin0.model.1.weight"] = StoredTensor(shape: [1, 64, 1, 1], values: Array(repeating: 0.1, count: 64))
        try assertLoadError(lin: wideHead) { e in
            if case .badWeightShape(_, "lin0.model.1.weight", [1, 64, 1, 1], _) = e { return "\(e)".contains("8 channels") }
            return false
        }
        // A file with no trunk at all (the heads given as the AlexNet weights).
        try assertLoadError(alexnet: heads) { e in
            if case .missingWeight(_, "features.0.weight", _) = e { return "\(e)".contains("lin0.model.1.weight") }
            return false
        }
    }

    /// A whole lpips.LPIPS state_dict (`net.slice1.0.weight` …, `lin0.model.1.weight` …) serves as both files.
    func testAWholeLPIPSStateDictIsAccepted() throws {
        let trunk = try StateDict.load(contentsOf: LPIPSFixtures.alexnet)
        let heads = try StateDict.load(contentsOf: LPIPSFixtures.lin)
        let slices = [0: 1, 3: 2, 6: 3, 8: 4, 10: 5]
        var whole = StateDict()
        for (name, t) in trunk.entries {
            let parts = name.split(separator: ".")
            whole["net.slice\(slices[Int(parts[1])!]!).\(parts[1]).\(parts[2])"] = t
        }
        for (name, t) in heads.entries { whole[name] = t }
        let url = try temporaryFile("lpips_whole.safetensors")
        try whole.write(to: url, format: .safetensors)
        let a = try ImageFile.readRGB(LPIPSFixtures.folder.appendingPathComponent("a_64x64.png"))
        let b = try ImageFile.readRGB(LPIPSFixtures.folder.appendingPathComponent("b_64x64.png"))
        XCTAssertEqual(try LPIPS(alexnetWeights: url, lpipsWeights: url).distance(a, b),
                       try LPIPSFixtures.model().distance(a, b))
    }
}
