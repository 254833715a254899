/// A bounds-checked little-endian cursor over bytes that stay alive for the reader's lifetime (the caller's
/// `withUnsafeBytes` scope). Every read checks the bytes left first, so a lying length is an error, not a trap.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    /// The file, for errors.
    let file: String

    init(_ bytes: UnsafeRawBufferPointer, file: String, position: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.position = position
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    /// Throws `truncated` unless `count` bytes are left. `count` may be any (even absurd) claimed length.
    func require(_ count: Int, _ field: @autoclosure () -> String) throws {
        if count < 0 || count > remaining {
            throw CheckpointError.truncated(file: file, field: field(), needed: count, available: remaining)
        }
    }

    mutating func u8(_ field: @autoclosure () -> String) throws -> UInt8 {
        try require(1, field())
        defer { position += 1 }
        return bytes[position]
    }

    mutating func integer<T: FixedWidthInteger>(_ type: T.Type, _ field: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, field())
        defer { position += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// The next `count` bytes, without copying.
    mutating func slice(_ count: Int, _ field: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try require(count, field())
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position ..< position + count])
    }

    /// The next `count` bytes as a copy.
    mutating func array(_ count: Int, _ field: @autoclosure () -> String) throws -> [UInt8] {
        [UInt8](try slice(count, field()))
    }

    /// A `UInt64` length as `Int`, rejecting values that do not fit (they cannot be present in any file).
    mutating func length64(_ field: @autoclosure () -> String) throws -> Int {
        let raw = try integer(UInt64.self, field())
        guard raw <= UInt64(Int.max) else {
            throw CheckpointError.truncated(file: file, field: field(), needed: Int.max, available: remaining)
        }
        return Int(raw)
    }
}
