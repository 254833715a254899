import Foundation
import XCTest
import Model

/// Fixture files live in `Tests/Fixtures/checkpoints/`, found from this file's path (the test target has no resources).
enum CheckpointFixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/ModelTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/checkpoints")

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(name))) }

    struct Expected {
        var shape: [Int]
        var dtype: String?
        var values: [Double]
    }

    /// `expected.json`'s section (`state`, `module`, `npy`): name → shape, dtype, values, in file order.
    static func expected(_ section: String) throws -> [(String, Expected)] {
        let data = try Data(contentsOf: url("expected.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entries = try XCTUnwrap(root[section] as? [[String: Any]])
        return entries.map { e in
            (e["name"] as! String,
             Expected(shape: (e["shape"] as! [NSNumber]).map(\.intValue), dtype: e["dtype"] as? String,
                      values: (e["values"] as! [NSNumber]).map(\.doubleValue)))
        }
    }
}

/// A fresh folder under the system's temporary folder, removed by the test's teardown.
func makeTemporaryFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-ckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Asserts that `dict` holds exactly the expected tensors, in order, with values equal as float32.
func assertMatches(_ dict: StateDict, _ expected: [(String, CheckpointFixtures.Expected)], checkDType: Bool = true,
                   file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(dict.keys, expected.map(\.0), "tensor names", file: file, line: line)
    for (name, want) in expected {
        guard let t = dict[name] else { XCTFail("missing \(name)", file: file, line: line); continue }
        XCTAssertEqual(t.shape, want.shape, "shape of \(name)", file: file, line: line)
        if checkDType, let dtype = want.dtype {
            XCTAssertEqual(t.dtype.rawValue, dtype, "dtype of \(name)", file: file, line: line)
        }
        XCTAssertEqual(t.values, want.values.map { Float($0) }, "values of \(name)", file: file, line: line)
    }
}

/// Builds legacy-format `.pth` bytes around a hand-written main pickle, for files torch would never write.
enum LegacyBytes {
    static let prelude: [UInt8] =
        [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]  // magic number
        + [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]  // 1001
        + [0x80, 0x02, 0x7D, 0x28] + unicode("little_endian") + [0x88, 0x75, 0x2E]  // {'little_endian': True}

    static func unicode(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        return [0x58] + le32(UInt32(b.count)) + b
    }

    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// `OrderedDict({name: _rebuild_tensor_v2(FloatStorage key '0' of `numel`, offset, size, stride)})`.
    static func tensorPickle(name: String = "w", numel: [UInt8], offset: [UInt8] = [0x4B, 0x00],
                             size: [UInt8], stride: [UInt8]) -> [UInt8] {
        [0x80, 0x02] + Array("ccollections\nOrderedDict\n".utf8) + [0x29, 0x52, 0x28] + unicode(name)
            + Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28, 0x28] + unicode("storage")
            + Array("ctorch\nFloatStorage\n".utf8) + unicode("0") + unicode("cpu") + numel + [0x4E, 0x74, 0x51]
            + offset + size + stride + [0x89] + Array("ccollections\nOrderedDict\n".utf8) + [0x29, 0x52]
            + [0x74, 0x52, 0x75, 0x2E]
    }

    /// The storage-keys pickle `['0']`, then one storage: its element count and float32 data.
    static func storages(count: UInt64, floats: [Float]) -> [UInt8] {
        [0x80, 0x02, 0x5D, 0x28] + unicode("0") + [0x65, 0x2E] + le64(count)
            + floats.flatMap { le32($0.bitPattern) }
    }
}

/// Writes `bytes` to a file called `name` in `folder` and loads it as a checkpoint.
func loadBytes(_ bytes: [UInt8], as name: String, in folder: URL) throws -> StateDict {
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return try StateDict.load(contentsOf: url)
}

/// A minimal stored zip built byte by byte, with knobs to corrupt its central directory the way a hostile file
/// would (ZIP64 extra fields with absurd values, sizes past the end).
enum ZipBytes {
    static func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// Stored entries (name, content, CRC-32). `centralOverride` replaces the first central-directory entry's
    /// (compressed size, uncompressed size, local offset) 32-bit fields; `zip64Extra` becomes its extra field.
    static func archive(_ files: [(name: String, content: [UInt8], crc: UInt32)],
                        centralOverride: (UInt32, UInt32, UInt32)? = nil, zip64Extra: [UInt64] = []) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (i, f) in files.enumerated() {
            let n = Array(f.name.utf8)
            let size = UInt32(f.content.count)
            let offset = UInt32(out.count)
            out += LegacyBytes.le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0)
                + LegacyBytes.le32(f.crc) + LegacyBytes.le32(size) + LegacyBytes.le32(size) + le16(UInt16(n.count)) + le16(0) + n
                + f.content
            let (c, u, o) = i == 0 ? centralOverride ?? (size, size, offset) : (size, size, offset)
            let extra: [UInt8] = i > 0 || zip64Extra.isEmpty ? []
                : le16(1) + le16(UInt16(8 * zip64Extra.count)) + zip64Extra.flatMap { LegacyBytes.le64($0) }
            central += LegacyBytes.le32(0x0201_4B50) + le16(45) + le16(45) + le16(0) + le16(0) + le16(0) + le16(0)
                + LegacyBytes.le32(f.crc) + LegacyBytes.le32(c) + LegacyBytes.le32(u) + le16(UInt16(n.count))
                + le16(UInt16(extra.count)) + le16(0) + le16(0) + le16(0) + LegacyBytes.le32(0) + LegacyBytes.le32(o) + n + extra
        }
        let cdStart = out.count
        out += central
        out += LegacyBytes.le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(files.count)) + le16(UInt16(files.count))
            + LegacyBytes.le32(UInt32(central.count)) + LegacyBytes.le32(UInt32(cdStart)) + le16(0)
        return out
    }

    static func single(name: String, content: [UInt8], crc: UInt32 = 0,
                       centralOverride: (UInt32, UInt32, UInt32)? = nil, zip64Extra: [UInt64] = []) -> [UInt8] {
        archive([(name, content, crc)], centralOverride: centralOverride, zip64Extra: zip64Extra)
    }
}
