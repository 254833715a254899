import Foundation

/// A `.npy` array as float32: masks, fixtures and expected values travel in this format.
///
/// Reads little-endian C-order float32, float64, float16, uint8, uint16, int8, int16, int32, int64 and bool, in
/// format versions 1, 2 and 3. Fortran order and big-endian data are refused with a clear error. Writes float32,
/// version 1 (version 2 if the header needs it), atomically.
public struct NumpyArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    /// An array whose `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 } && values.count == shape.reduce(1, *),
                     "NumpyArray: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// Reads a `.npy` file.
    public init(contentsOf url: URL) throws {
        let file = displayName(url)
        let data = try readFile(url, file: file)
        self = try data.withUnsafeBytes { try NumpyArray.decode($0, file: file) }
    }

    /// Writes a float32 `.npy` file: to a temporary file in the same folder, then renamed over `url`.
    public func write(to url: URL) throws {
        try atomicWrite(encoded(), to: url)
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    static let descriptors: [String: StoredDType] = [
        "<f4": .float32, "<f8": .float64, "<f2": .float16, "|u1": .uint8, "<u1": .uint8, "u1": .uint8,
        "|i1": .int8, "<i1": .int8, "i1": .int8, "<i2": .int16, "<i4": .int32, "<i8": .int64, "|b1": .bool, "b1": .bool,
    ]

    static func decode(_ raw: UnsafeRawBufferPointer, file: String) throws -> NumpyArray {
        var reader = ByteReader(raw, file: file)
        let head = try reader.array(8, "npy magic and version")
        guard Array(head[0 ..< 6]) == magic else {
            throw CheckpointError.malformed(file: file, field: "npy magic", expected: "\\x93NUMPY")
        }
        let major = head[6]
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try reader.integer(UInt16.self, "npy header length"))
        case 2, 3: headerLength = Int(try reader.integer(UInt32.self, "npy header length"))
        default: throw CheckpointError.unsupported(file: file, field: "npy version", feature: "npy format version \(major)")
        }
        let headerBytes = try reader.slice(headerLength, "npy header of \(headerLength) bytes")
        guard let header = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw CheckpointError.malformed(file: file, field: "npy header", expected: "text")
        }
        var parser = HeaderParser(text: Array(header.unicodeScalars), file: file)
        let fields = try parser.parseDict()

        guard case .string(let descr)? = fields["descr"] else {
            throw CheckpointError.malformed(file: file, field: "npy header 'descr'", expected: "a dtype string such as '<f4'")
        }
        guard case .bool(let fortran)? = fields["fortran_order"] else {
            throw CheckpointError.malformed(file: file, field: "npy header 'fortran_order'", expected: "True or False")
        }
        guard case .tuple(let shape)? = fields["shape"] else {
            throw CheckpointError.malformed(file: file, field: "npy header 'shape'", expected: "a tuple of ints")
        }
        if fortran {
            throw CheckpointError.unsupported(file: file, field: "npy header 'fortran_order'",
                                              feature: "Fortran (column-major) order; save with np.ascontiguousarray")
        }
        guard let dtype = descriptors[descr] else {
            if descr.hasPrefix(">") {
                throw CheckpointError.unsupported(file: file, field: "npy header 'descr'", feature: "big-endian dtype '\(descr)'")
            }
            if descr == "<u2" { return try decodeUInt16(&reader, shape: shape, file: file) }
            throw CheckpointError.unsupported(file: file, field: "npy header 'descr'", feature: "dtype '\(descr)'")
        }
        let count = try elementCount(shape, file: file)
        let bytes = try dataBytes(&reader, count: count, itemSize: dtype.byteSize, file: file)
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0 ..< count { out[i] = dtype.load(bytes, element: i) }
            initialized = count
        }
        return NumpyArray(shape: shape, values: values)
    }

    private static func decodeUInt16(_ reader: inout ByteReader, shape: [Int], file: String) throws -> NumpyArray {
        let count = try elementCount(shape, file: file)
        let bytes = try dataBytes(&reader, count: count, itemSize: 2, file: file)
        let values = (0 ..< count).map { Float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        return NumpyArray(shape: shape, values: values)
    }

    private static func elementCount(_ shape: [Int], file: String) throws -> Int {
        var count = 1
        for d in shape {
            guard let c = TorchTensors.mul(count, d) else {
                throw CheckpointError.malformed(file: file, field: "npy header 'shape'", expected: "an element count that fits (\(shape))")
            }
            count = c
        }
        return count
    }

    /// The data section, which must hold exactly `count` items.
    private static func dataBytes(_ reader: inout ByteReader, count: Int, itemSize: Int, file: String) throws -> UnsafeRawBufferPointer {
        guard let byteCount = TorchTensors.mul(count, itemSize) else {
            throw CheckpointError.truncated(file: file, field: "npy data", needed: Int.max, available: reader.remaining)
        }
        let bytes = try reader.slice(byteCount, "npy data of \(count) elements")
        guard reader.isAtEnd else {
            throw CheckpointError.malformed(file: file, field: "npy data",
                                            expected: "\(byteCount) bytes after the header (found \(byteCount + reader.remaining))")
        }
        return bytes
    }

    func encoded() -> Data {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let version: UInt8 = header.utf8.count + 11 < 65_536 ? 1 : 2
        let prefix = version == 1 ? 10 : 12
        // Spaces, then a newline, so the data starts 64-byte aligned, as numpy writes it.
        let total = prefix + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out = Data(NumpyArray.magic + [version, 0])
        if version == 1 {
            var n = UInt16(header.utf8.count).littleEndian
            withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        } else {
            var n = UInt32(header.utf8.count).littleEndian
            withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        }
        out.append(contentsOf: header.utf8)
        out.append(contentsOf: float32Bytes(values))
        return out
    }
}

/// The Python literal in a `.npy` header: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
private struct HeaderParser {
    enum Value { case string(String), bool(Bool), tuple([Int]) }

    let text: [Unicode.Scalar]
    let file: String
    var i = 0

    init(text: [Unicode.Scalar], file: String) { self.text = text; self.file = file }

    func fail(_ expected: String) -> CheckpointError {
        .malformed(file: file, field: "npy header at character \(i)", expected: expected)
    }

    mutating func skipSpace() { while i < text.count, text[i].properties.isWhitespace { i += 1 } }

    mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard i < text.count, text[i] == c else { throw fail("'\(c)'") }
        i += 1
    }

    mutating func peek(_ c: Unicode.Scalar) -> Bool {
        skipSpace()
        return i < text.count && text[i] == c
    }

    mutating func string() throws -> String {
        skipSpace()
        guard i < text.count, text[i] == "'" || text[i] == "\"" else { throw fail("a quoted string") }
        let quote = text[i]
        i += 1
        var s = String.UnicodeScalarView()
        while i < text.count, text[i] != quote { s.append(text[i]); i += 1 }
        guard i < text.count else { throw fail("a closing quote") }
        i += 1
        return String(s)
    }

    mutating func integer() throws -> Int {
        skipSpace()
        var digits = ""
        while i < text.count, text[i].properties.numericType != nil, digits.count < 19 { digits.unicodeScalars.append(text[i]); i += 1 }
        if i < text.count, text[i] == "L" { i += 1 }  // Python 2's long suffix
        guard let n = Int(digits), n >= 0 else { throw fail("a non-negative integer of at most 18 digits") }
        return n
    }

    mutating func value() throws -> Value {
        skipSpace()
        guard i < text.count else { throw fail("a value") }
        if text[i] == "'" || text[i] == "\"" { return .string(try string()) }
        if text[i] == "(" {
            i += 1
            var items: [Int] = []
            while !peek(")") {
                guard items.count < 64 else { throw fail("at most 64 dimensions") }
                items.append(try integer())
                if !peek(")") { try expect(",") }
            }
            i += 1
            return .tuple(items)
        }
        for (word, v) in [("True", true), ("False", false)] where text[i...].starts(with: word.unicodeScalars) {
            i += word.unicodeScalars.count
            return .bool(v)
        }
        throw fail("a string, a tuple of ints, True or False (structured dtypes are not supported)")
    }

    mutating func parseDict() throws -> [String: Value] {
        try expect("{")
        var out: [String: Value] = [:]
        while !peek("}") {
            let key = try string()
            try expect(":")
            out[key] = try value()
            if !peek("}") { try expect(",") }
        }
        return out
    }
}
