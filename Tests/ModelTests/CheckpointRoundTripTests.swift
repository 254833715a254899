import Foundation
import XCTest
import Model

/// What we write reads back the same.
final class CheckpointRoundTripTests: XCTestCase {
    /// Every fixture tensor, as it would be after writing: floats as float32, integers and bools as int64.
    private func sample() throws -> StateDict {
        try StateDict.load(contentsOf: CheckpointFixtures.url("state_zip.pth"))
    }

    private func assertWritten(_ back: StateDict, from original: StateDict, order: [String]) {
        XCTAssertEqual(back.keys, order)
        for name in order {
            let a = original[name]!, b = back[name]!
            XCTAssertEqual(b.shape, a.shape, name)
            XCTAssertEqual(b.values, a.values, name)
            XCTAssertEqual(b.dtype, a.dtype.isFloatingPoint ? .float32 : .int64, name)
        }
    }

    func testSafetensorsRoundTrip() throws {
        let folder = try makeTemporaryFolder(self)
        var dict = try sample()
        dict.metadata = ["model": "monopix", "step": "12"]
        let url = folder.appendingPathComponent("weights.safetensors")
        try dict.write(to: url, format: .safetensors)
        let back = try StateDict.load(contentsOf: url)
        assertWritten(back, from: dict, order: dict.keys.sorted())
        XCTAssertEqual(back.metadata, dict.metadata)
        // Header length is a multiple of 8, so the data section is aligned.
        let bytes = try Data(contentsOf: url)
        XCTAssertEqual(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } % 8, 0)
    }

    func testPthRoundTripKeepsOrder() throws {
        let folder = try makeTemporaryFolder(self)
        let dict = try sample()
        let url = folder.appendingPathComponent("weights.pth")
        try dict.write(to: url, format: .pytorch)
        let back = try StateDict.load(contentsOf: url)
        assertWritten(back, from: dict, order: dict.keys)
    }

    func testWritesReplaceAtomicallyAndLeaveNoTemporaryFiles() throws {
        let folder = try makeTemporaryFolder(self)
        let url = folder.appendingPathComponent("w.pth")
        let first = StateDict([("a", StoredTensor(shape: [2], values: [1, 2]))])
        let second = StateDict([("b", StoredTensor(shape: [1, 1], values: [3]))])
        try first.write(to: url, format: .pytorch)
        try second.write(to: url, format: .pytorch)  // over an existing file
        XCTAssertEqual(try StateDict.load(contentsOf: url).keys, ["b"])
        try second.write(to: folder.appendingPathComponent("w.safetensors"), format: .safetensors)
        try NumpyArray(shape: [1], values: [1]).write(to: folder.appendingPathComponent("m.npy"))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(names, ["m.npy", "w.pth", "w.safetensors"])
    }

    func testWriteErrors() throws {
        let folder = try makeTemporaryFolder(self)
        let url = folder.appendingPathComponent("missing-folder/w.safetensors")
        XCTAssertThrowsError(try StateDict().write(to: url, format: .safetensors)) { error in
            guard case CheckpointError.io = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try StateDict().write(to: folder.appendingPathComponent("x.pth"), format: .pytorchLegacy))
    }

    func testEmptyAndScalarStateDicts() throws {
        let folder = try makeTemporaryFolder(self)
        let dict = StateDict([("scalar", StoredTensor(shape: [], values: [2.5])),
                              ("count", StoredTensor(shape: [], dtype: .int64, values: [123_456])),
                              ("none", StoredTensor(shape: [0], values: []))])
        for format in [CheckpointFormat.safetensors, .pytorch] {
            let url = folder.appendingPathComponent("d.\(format.rawValue)")
            try dict.write(to: url, format: format)
            let back = try StateDict.load(contentsOf: url)
            XCTAssertEqual(back["scalar"], dict["scalar"], "\(format)")
            XCTAssertEqual(back["count"], dict["count"], "\(format)")
            XCTAssertEqual(back["none"], dict["none"], "\(format)")
            try StateDict().write(to: url, format: format)
            XCTAssertTrue(try StateDict.load(contentsOf: url).isEmpty, "\(format)")
        }
    }

    func testNpyRoundTrip() throws {
        let folder = try makeTemporaryFolder(self)
        for shape in [[], [5], [2, 3], [1, 2, 3, 2]] {
            let count = shape.reduce(1, *)
            let array = NumpyArray(shape: shape, values: (0 ..< count).map { Float($0) * 0.25 - 1 })
            let url = folder.appendingPathComponent("a.npy")
            try array.write(to: url)
            XCTAssertEqual(try NumpyArray(contentsOf: url), array)
            let bytes = try Data(contentsOf: url)
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            XCTAssertEqual((10 + headerLength) % 64, 0, "numpy aligns the data to 64 bytes")
        }
    }
}
