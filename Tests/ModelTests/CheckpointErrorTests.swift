import Foundation
import XCTest
import Model

/// Broken, hostile and absurd files end in a `CheckpointError` that says what and where, never a crash or a huge
/// allocation.
final class CheckpointErrorTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder(self)
    }

    /// The error loading `bytes`, which must be a CheckpointError.
    private func loadError(_ bytes: [UInt8], as name: String = "bad.pth",
                           file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
        do {
            _ = try loadBytes(bytes, as: name, in: folder)
            XCTFail("\(name) loaded", file: file, line: line)
        } catch let error as CheckpointError {
            return error
        } catch {
            XCTFail("not a CheckpointError: \(error)", file: file, line: line)
        }
        return nil
    }

    func testForeignGlobalIsNamedAndNotExecuted() throws {
        do {
            _ = try StateDict.load(contentsOf: CheckpointFixtures.url("malicious_os_system.pth"))
            XCTFail("loaded")
        } catch let error as CheckpointError {
            guard case .forbiddenGlobal(_, let field, let global) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(global, "os.system")
            XCTAssertEqual(field, "data.pkl opcode 0x63 at byte 2")
            XCTAssertTrue(error.description.hasSuffix(
                "malicious_os_system.pth: global 'os.system' is not allowed in a checkpoint (only tensors and OrderedDict) "
                    + "[data.pkl opcode 0x63 at byte 2]"), error.description)
        }
        do {
            _ = try StateDict.load(contentsOf: CheckpointFixtures.url("malicious_posix_system_legacy.pth"))
            XCTFail("loaded")
        } catch let error as CheckpointError {
            guard case .forbiddenGlobal(_, let field, "posix.system") = error else { return XCTFail("\(error)") }
            XCTAssertTrue(field.hasPrefix("main pickle opcode 0x93"), field)
        }
    }

    func testDescriptionNamesTheFileAsGiven() {
        let error = CheckpointError.forbiddenGlobal(file: "model.pth", field: "data.pkl opcode 0x63 at byte 2", global: "os.system")
        XCTAssertEqual(error.description,
                       "model.pth: global 'os.system' is not allowed in a checkpoint (only tensors and OrderedDict) "
                           + "[data.pkl opcode 0x63 at byte 2]")
        XCTAssertEqual(error.file, "model.pth")
    }

    func testTensorLargerThanItsStorage() throws {
        do {
            _ = try StateDict.load(contentsOf: CheckpointFixtures.url("oversized_tensor.pth"))
            XCTFail("loaded")
        } catch let error as CheckpointError {
            guard case .outOfBounds(_, "huge", let expected) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(expected.contains("holds 6 float32 elements"), expected)
        }
        // Legacy: a stride that walks off the storage, and a storage offset past it.
        let strided = LegacyBytes.tensorPickle(numel: [0x4B, 4], size: [0x4B, 2, 0x85], stride: [0x4B, 4, 0x85])
        guard case .outOfBounds? = loadError(LegacyBytes.prelude + strided + LegacyBytes.storages(count: 4, floats: [1, 2, 3, 4]))
        else { return XCTFail() }
        let offset = LegacyBytes.tensorPickle(numel: [0x4B, 4], offset: [0x4B, 4], size: [0x4B, 1, 0x85], stride: [0x4B, 1, 0x85])
        guard case .outOfBounds? = loadError(LegacyBytes.prelude + offset + LegacyBytes.storages(count: 4, floats: [1, 2, 3, 4]))
        else { return XCTFail() }
        // A valid hand-made legacy file loads, so the failures above are the checks, not the builder.
        let fine = LegacyBytes.tensorPickle(numel: [0x4B, 4], offset: [0x4B, 1], size: [0x4B, 2, 0x85], stride: [0x4B, 2, 0x85])
        let dict = try loadBytes(LegacyBytes.prelude + fine + LegacyBytes.storages(count: 4, floats: [1, 2, 3, 4]),
                                 as: "fine.pth", in: folder)
        XCTAssertEqual(dict["w"]?.values, [2, 4])
    }

    func testStorageCountThatDisagreesWithThePickle() {
        let pickle = LegacyBytes.tensorPickle(numel: [0x4B, 4], size: [0x4B, 4, 0x85], stride: [0x4B, 1, 0x85])
        guard case .malformed(_, let field, _)? = loadError(LegacyBytes.prelude + pickle + LegacyBytes.storages(count: 3, floats: [1, 2, 3]))
        else { return XCTFail() }
        XCTAssertTrue(field.contains("element count"), field)
    }

    func testAbsurdLengthsFailWithoutAllocating() throws {
        // A legacy storage claiming 2^40 float32 elements, with 16 bytes present.
        let huge = LegacyBytes.tensorPickle(numel: [0x8A, 6, 0, 0, 0, 0, 0, 1], size: [0x4B, 4, 0x85], stride: [0x4B, 1, 0x85])
        XCTAssertNotNil(loadError(LegacyBytes.prelude + huge + LegacyBytes.storages(count: 1 << 40, floats: [1, 2, 3, 4])))
        // A tensor of 2^60 elements (size (2^30, 2^30)) over stride 0: bigger than any expansion allowed.
        let expanded = LegacyBytes.tensorPickle(numel: [0x4B, 1], size: [0x4A, 0, 0, 0, 0x40, 0x4A, 0, 0, 0, 0x40, 0x86],
                                                stride: [0x4B, 0, 0x4B, 0, 0x86])
        guard case .limitExceeded? = loadError(LegacyBytes.prelude + expanded + LegacyBytes.storages(count: 1, floats: [1]))
        else { return XCTFail() }
        // BINUNICODE8 claiming 2^60 bytes of key.
        let longString = [UInt8](LegacyBytes.prelude) + [0x80, 0x04, 0x8D] + LegacyBytes.le64(1 << 60) + [0x41, 0x2E]
        guard case .truncated? = loadError(longString) else { return XCTFail() }
        // safetensors: a header length of 2^62.
        let header = LegacyBytes.le64(1 << 62) + Array("{}".utf8)
        XCTAssertNotNil(loadError(header, as: "bad.safetensors"))
        // safetensors: a tensor whose shape claims 2^62 elements in a 4-byte range.
        let json = Array(#"{"w":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,4]}}"#.utf8)
        guard case .outOfBounds? = loadError(LegacyBytes.le64(UInt64(json.count)) + json + [0, 0, 0, 0], as: "bad.safetensors")
        else { return XCTFail() }
        // npy: shape (10^12, 10^12).
        var npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let text = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }\n".utf8)
        npy += [UInt8(text.count), 0] + text + [0, 0, 0, 0]
        let npyURL = folder.appendingPathComponent("huge.npy")
        try Data(npy).write(to: npyURL)
        XCTAssertThrowsError(try NumpyArray(contentsOf: npyURL)) { XCTAssertTrue($0 is CheckpointError) }
    }

    func testHostileZipDirectoriesAreRefusedBeforeZIPFoundationReadsThem() {
        let pickle: [UInt8] = [0x80, 0x02, 0x7D, 0x2E]  // {}
        // Control: the builder makes a valid (empty) checkpoint.
        XCTAssertEqual(try loadBytes(ZipBytes.single(name: "a/data.pkl", content: pickle, crc: 0x89DE_B73D), as: "ok.pth",
                                     in: folder).count, 0)
        // A ZIP64 local-header offset near 2^64 (ZIPFoundation would trap converting it to off_t).
        let farOffset = ZipBytes.single(name: "a/data.pkl", content: pickle, centralOverride: (4, 4, .max),
                                        zip64Extra: [0xFFFF_FFFF_FFFF_FFF0])
        guard case .malformed(_, let field, _)? = loadError(farOffset) else { return XCTFail() }
        XCTAssertTrue(field.contains("local header offset"), field)
        // ZIP64 sizes of 2^63 and a 32-bit size past the end of the file.
        let hugeSize = ZipBytes.single(name: "a/data.pkl", content: pickle, centralOverride: (.max, .max, 0),
                                       zip64Extra: [1 << 63, 1 << 63])
        guard case .malformed? = loadError(hugeSize) else { return XCTFail() }
        let pastEnd = ZipBytes.single(name: "a/data.pkl", content: pickle, centralOverride: (4, 0x7FFF_FFFF, 0))
        guard case .malformed? = loadError(pastEnd) else { return XCTFail() }
        // A wrong CRC-32 is corruption.
        let badCRC = ZipBytes.single(name: "a/data.pkl", content: pickle, crc: 1)
        guard case .malformed(_, _, let expected)? = loadError(badCRC) else { return XCTFail() }
        XCTAssertTrue(expected.contains("CRC-32"), expected)
        // No data.pkl at all.
        guard case .malformed? = loadError(ZipBytes.single(name: "a/other.txt", content: pickle, crc: 0x89DE_B73D)) else {
            return XCTFail()
        }
    }

    func testBigEndianCheckpointsAreRefused() {
        // Zip: a `byteorder` record saying "big".
        let pickle: [UInt8] = [0x80, 0x02, 0x7D, 0x2E]
        let big = ZipBytes.archive([("a/data.pkl", pickle, 0x89DE_B73D), ("a/byteorder", Array("big".utf8), 0xD3FB_E249)])
        guard case .unsupported(_, let field, let feature)? = loadError(big) else { return XCTFail() }
        XCTAssertEqual(field, "a/byteorder")
        XCTAssertTrue(feature.contains("big-endian"), feature)
        // The same archive saying "little" loads.
        let little = ZipBytes.archive([("a/data.pkl", pickle, 0x89DE_B73D), ("a/byteorder", Array("little".utf8), 0x19E3_3D85)])
        XCTAssertEqual(try loadBytes(little, as: "little.pth", in: folder).count, 0)
        // Legacy: sys info with little_endian False.
        var prelude = LegacyBytes.prelude
        prelude[prelude.count - 3] = 0x89  // NEWTRUE -> NEWFALSE
        guard case .unsupported(_, _, let legacyFeature)? = loadError(prelude + [0x80, 0x02, 0x7D, 0x2E]) else { return XCTFail() }
        XCTAssertTrue(legacyFeature.contains("big-endian"), legacyFeature)
    }

    func testDeepNestingAndManyMarksHitLimits() {
        // 200 nested lists: EMPTY_LIST … then APPEND 199 times.
        let nested = [UInt8](LegacyBytes.prelude) + [0x80, 0x02] + [UInt8](repeating: 0x5D, count: 200)
            + [UInt8](repeating: 0x61, count: 199) + [0x2E]
        guard case .limitExceeded? = loadError(nested) else { return XCTFail() }
        let marks = [UInt8](LegacyBytes.prelude) + [0x80, 0x02] + [UInt8](repeating: 0x28, count: 20_000) + [0x2E]
        guard case .limitExceeded? = loadError(marks) else { return XCTFail() }
        // A memo lookup of a slot never stored, and an opcode torch never writes (protocol 0 INT).
        let badGet = [UInt8](LegacyBytes.prelude) + [0x80, 0x02, 0x68, 0x07, 0x2E]
        guard case .malformed? = loadError(badGet) else { return XCTFail() }
        let textInt = [UInt8](LegacyBytes.prelude) + [0x80, 0x02, 0x49] + Array("1\n.".utf8)
        guard case .unsupported? = loadError(textInt) else { return XCTFail() }
    }

    func testTopLevelMustBeADictOfTensors() {
        let list = [UInt8](LegacyBytes.prelude) + [0x80, 0x02, 0x5D, 0x2E] + [0x80, 0x02, 0x5D, 0x2E]
        guard case .malformed(_, let field, _)? = loadError(list) else { return XCTFail() }
        XCTAssertTrue(field.contains("top-level"), field)
    }

    func testMissingFileIsAnIOError() {
        let url = folder.appendingPathComponent("nope.pth")
        XCTAssertThrowsError(try StateDict.load(contentsOf: url)) { error in
            guard case CheckpointError.io(let file, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, url.path)
        }
        XCTAssertThrowsError(try NumpyArray(contentsOf: url)) { XCTAssertTrue($0 is CheckpointError) }
    }

    func testWrongMagic() throws {
        guard case .unknownFormat? = loadError(Array("hello, this is not a checkpoint".utf8)) else { return XCTFail() }
        guard case .unknownFormat? = loadError([]) else { return XCTFail() }
        // A legacy-looking start with the wrong magic number is not sniffed as legacy either.
        var legacy = try CheckpointFixtures.bytes("state_legacy.pth")
        legacy[5] ^= 0xFF
        guard case .unknownFormat? = loadError(legacy) else { return XCTFail() }
        // A .npy given to the checkpoint loader says what it is.
        let npy = try CheckpointFixtures.bytes("mask_u8.npy")
        guard case .unknownFormat(_, let found)? = loadError(npy) else { return XCTFail() }
        XCTAssertTrue(found.contains("NumpyArray"), found)
        // npy with a bad magic.
        let url = folder.appendingPathComponent("x.npy")
        try Data(Array("NOTNUMPYxxxxxxxxxx".utf8)).write(to: url)
        XCTAssertThrowsError(try NumpyArray(contentsOf: url))
    }

    func testNpyFortranAndBigEndianAreRefused() {
        for (name, words) in [("fortran_f4.npy", "Fortran"), ("big_endian_f4.npy", "big-endian")] {
            XCTAssertThrowsError(try NumpyArray(contentsOf: CheckpointFixtures.url(name))) { error in
                guard case CheckpointError.unsupported(_, _, let feature) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(feature.contains(words), feature)
            }
        }
    }

    func testTruncatedFilesFailAtEveryCut() throws {
        for name in ["state_zip.pth", "state_legacy.pth", "state.safetensors", "module_state.pth"] {
            let bytes = try CheckpointFixtures.bytes(name)
            let n = bytes.count
            for cut in Set([0, 1, 3, 4, 8, 9, 16, 40, 100, n / 4, n / 2, 3 * n / 4, n - 30, n - 22, n - 5, n - 1]) where cut < n {
                _ = loadError(Array(bytes[..<cut]), as: "cut-\(cut)-\(name)")
            }
        }
        let npy = try CheckpointFixtures.bytes("values_f64.npy")
        for cut in [0, 5, 8, 9, 10, 50, npy.count - 8, npy.count - 1] {
            let url = folder.appendingPathComponent("cut.npy")
            try Data(npy[..<cut]).write(to: url)
            XCTAssertThrowsError(try NumpyArray(contentsOf: url), "cut at \(cut)") { XCTAssertTrue($0 is CheckpointError) }
        }
    }

    func testSafetensorsOverlapGapsAndUnknownDTypes() {
        func file(_ json: String, data: Int) -> [UInt8] {
            let j = Array(json.utf8)
            return LegacyBytes.le64(UInt64(j.count)) + j + [UInt8](repeating: 0, count: data)
        }
        let overlap = file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8)
        guard case .malformed(_, _, let e1)? = loadError(overlap, as: "o.safetensors") else { return XCTFail() }
        XCTAssertTrue(e1.contains("overlap"), e1)
        let gap = file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8)
        guard case .malformed? = loadError(gap, as: "g.safetensors") else { return XCTFail() }
        let past = file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: 8)
        guard case .outOfBounds? = loadError(past, as: "p.safetensors") else { return XCTFail() }
        let fp8 = file(#"{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, data: 1)
        guard case .unsupported? = loadError(fp8, as: "f.safetensors") else { return XCTFail() }
        let notJSON = file("{not json}", data: 0)
        guard case .malformed? = loadError(notJSON, as: "j.safetensors") else { return XCTFail() }
    }
}
