import Foundation
import XCTest
import Model

/// Each format loads to the values PyTorch and numpy wrote (expected.json).
final class CheckpointLoadTests: XCTestCase {
    func testZipPthLoadsEveryDTypeAndView() throws {
        let dict = try StateDict.load(contentsOf: CheckpointFixtures.url("state_zip.pth"))
        assertMatches(dict, try CheckpointFixtures.expected("state"))
        XCTAssertTrue(dict.metadata.isEmpty)
    }

    func testLegacyPthLoadsTheSameTensors() throws {
        let dict = try StateDict.load(contentsOf: CheckpointFixtures.url("state_legacy.pth"))
        assertMatches(dict, try CheckpointFixtures.expected("state"))
    }

    func testSafetensorsLoadsInOffsetOrderWithMetadata() throws {
        let dict = try StateDict.load(contentsOf: CheckpointFixtures.url("state.safetensors"))
        // The fixture's writer sorts names, so the file order is alphabetical.
        let expected = try CheckpointFixtures.expected("state").sorted { $0.0 < $1.0 }
        assertMatches(dict, expected)
        XCTAssertEqual(dict.metadata, ["format": "pt", "source": "make_checkpoint_fixtures.py"])
    }

    func testModuleStateDictWithMetadataAttributeLoads() throws {
        // nn.Module.state_dict() pickles its `_metadata` attribute with BUILD; it is accepted and ignored.
        let dict = try StateDict.load(contentsOf: CheckpointFixtures.url("module_state.pth"))
        assertMatches(dict, try CheckpointFixtures.expected("module"))
        XCTAssertEqual(dict["1.num_batches_tracked"]?.dtype, .int64)
        XCTAssertEqual(dict["1.num_batches_tracked"]?.values, [1])
    }

    func testViewsAreMaterialisedContiguous() throws {
        let dict = try StateDict.load(contentsOf: CheckpointFixtures.url("state_zip.pth"))
        XCTAssertEqual(dict["transposed"]?.shape, [3, 4])
        XCTAssertEqual(dict["transposed"]?.values, [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11])
        XCTAssertEqual(dict["expanded"]?.values, [1.5, -2, 3.25, 1.5, -2, 3.25, 1.5, -2, 3.25, 1.5, -2, 3.25])
        XCTAssertEqual(dict["slice"]?.values, [1.5, 2, 2.5, 3])
        XCTAssertEqual(dict["shared.b"]?.values, [0.5, 1.5, 3, 4])
        XCTAssertEqual(dict["bn.num_batches_tracked"]?.shape, [])
        XCTAssertEqual(dict["bn.num_batches_tracked"]?.values, [7])
        XCTAssertEqual(dict["empty"]?.shape, [0, 3])
        XCTAssertEqual(dict["empty"]?.values, [])
        XCTAssertEqual(dict["param"]?.values, [0.5, -0.25, 4, 8])
        XCTAssertEqual(dict["param_with_state"]?.values, [9, -9])
    }

    func testNpyFilesLoad() throws {
        for (name, want) in try CheckpointFixtures.expected("npy") {
            let array = try NumpyArray(contentsOf: CheckpointFixtures.url(name))
            XCTAssertEqual(array.shape, want.shape, name)
            XCTAssertEqual(array.values, want.values.map { Float($0) }, name)
        }
    }

    func testNpyVersionsTwoAndThree() throws {
        let folder = try makeTemporaryFolder(self)
        for version: UInt8 in [1, 2, 3] {
            var header = Array("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }".utf8)
            let prefix = version == 1 ? 10 : 12
            header += [UInt8](repeating: 0x20, count: (64 - (prefix + header.count + 1) % 64) % 64) + [0x0A]
            var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
            bytes += version == 1 ? ZipBytes.le16(UInt16(header.count)) : LegacyBytes.le32(UInt32(header.count))
            bytes += header + [Int32(-1), 2, 70000, 0].flatMap { LegacyBytes.le32(UInt32(bitPattern: $0)) }
            let url = folder.appendingPathComponent("v\(version).npy")
            try Data(bytes).write(to: url)
            XCTAssertEqual(try NumpyArray(contentsOf: url), NumpyArray(shape: [2, 2], values: [-1, 2, 70000, 0]), "v\(version)")
        }
    }

    func testStateDictSubscriptKeepsOrder() {
        var dict = StateDict()
        dict["b"] = StoredTensor(shape: [1], values: [1])
        dict["a"] = StoredTensor(shape: [], dtype: .int64, values: [2])
        dict["b"] = StoredTensor(shape: [2], values: [3, 4])
        XCTAssertEqual(dict.keys, ["b", "a"])
        XCTAssertEqual(dict["b"]?.values, [3, 4])
        dict["b"] = nil
        XCTAssertEqual(dict.keys, ["a"])
        XCTAssertNil(dict["b"])
        XCTAssertEqual(dict.count, 1)
    }
}
