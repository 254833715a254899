/// Checks a zip archive's structure against the file's real size before ZIPFoundation reads it.
///
/// ZIPFoundation converts offsets and sizes from the archive to `off_t`/`Int64` unchecked and reads whatever
/// sizes the central directory declares, so a corrupt or hostile archive can trap it or make it read far past
/// the end. This walk reads the same records the same way (end of central directory, the ZIP64 end records when
/// both are present, each central-directory entry with its ZIP64 extra field, each local header) and refuses any
/// offset or size that does not lie inside the file. What passes is safe to hand to ZIPFoundation; the returned
/// sizes are the ones ZIPFoundation will read (from the central directory, not a data descriptor).
struct ZipPreflight {
    struct EntryInfo {
        var method: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var dataOffset: Int
    }

    static let maxEntries = 1 << 20

    let file: String
    let bytes: UnsafeRawBufferPointer
    var size: Int { bytes.count }

    private func fail(_ field: String, _ expected: String) -> CheckpointError {
        .malformed(file: file, field: "zip \(field)", expected: expected)
    }

    private func u16(_ at: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
    private func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    private func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }

    /// A 64-bit value from the archive as an `Int` no larger than `limit`, or an error naming `field`.
    private func bounded(_ v: UInt64, _ limit: Int, _ field: String) throws -> Int {
        guard v <= UInt64(limit) else { throw fail(field, "at most \(limit) in a \(size)-byte file (found \(v))") }
        return Int(v)
    }

    /// Every entry, in central-directory order (the order ZIPFoundation iterates them).
    func entries() throws -> [EntryInfo] {
        // End of central directory: the last signature at least 22 bytes before the end, as ZIPFoundation scans.
        guard size >= 22 else { throw fail("end of central directory", "an archive of at least 22 bytes") }
        var eocd = size - 22
        while eocd >= 0, u32(eocd) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= 0 else { throw fail("end of central directory", "its signature PK\\x05\\x06") }

        var count = UInt64(u16(eocd + 10))
        var cdSize = UInt64(u32(eocd + 12))
        var cdOffset = UInt64(u32(eocd + 16))
        // ZIPFoundation takes the ZIP64 locator 20 bytes before the EOCD and the ZIP64 record 56 bytes before that.
        let locator = eocd - 20, record = eocd - 76
        let hasLocator = locator > 56 && u32(locator) == 0x0706_4B50
        let hasRecord = locator > 56 && record >= 0 && u32(record) == 0x0606_4B50
        if hasLocator || hasRecord {
            guard hasLocator && hasRecord else {
                throw fail("ZIP64 end records", "both the ZIP64 locator and record, adjacent to the end record")
            }
            count = u64(record + 32)
            cdSize = u64(record + 40)
            cdOffset = u64(record + 48)
        }
        let entryCount = try bounded(count, min(Self.maxEntries, size / 46), "central directory entry count")
        var at = try bounded(cdOffset, size, "central directory offset")
        _ = try bounded(cdSize, size - at, "central directory size")

        var out: [EntryInfo] = []
        out.reserveCapacity(entryCount)
        for index in 0 ..< entryCount {
            let field = "central directory entry \(index) at byte \(at)"
            guard at <= size - 46, u32(at) == 0x0201_4B50 else { throw fail(field, "a central directory header") }
            let version = u16(at + 6), flags = u16(at + 8), method = u16(at + 10), crc = u32(at + 16)
            let compressed32 = u32(at + 20), uncompressed32 = u32(at + 24)
            let nameLength = Int(u16(at + 28)), extraLength = Int(u16(at + 30)), commentLength = Int(u16(at + 32))
            let disk = u16(at + 34), localOffset32 = u32(at + 42)
            let extraStart = at + 46 + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= size else { throw fail(field, "its name, extra field and comment inside the file") }
            guard flags & 1 == 0 else {
                throw CheckpointError.unsupported(file: file, field: "zip \(field)", feature: "an encrypted zip entry")
            }
            guard method == 0 || method == 8 else {
                throw CheckpointError.unsupported(file: file, field: "zip \(field)", feature: "zip compression method \(method)")
            }

            // The ZIP64 extra field, parsed as ZIPFoundation does: the first block with id 1, holding exactly the
            // fields whose 32-bit values are all ones.
            var uncompressed = UInt64(uncompressed32), compressed = UInt64(compressed32), localOffset = UInt64(localOffset32)
            var zip64: (u: UInt64, c: UInt64, o: UInt64)?
            var p = extraStart
            let extraEnd = extraStart + extraLength
            while p < extraEnd - 4 {
                let id = u16(p), dataSize = Int(u16(p + 2))
                let blockEnd = p + 4 + dataSize
                guard blockEnd <= extraEnd else { break }
                if id == 0x0001 {
                    var sizes = [Int]()
                    if uncompressed32 == .max { sizes.append(8) }
                    if compressed32 == .max { sizes.append(8) }
                    if localOffset32 == .max { sizes.append(8) }
                    if disk == .max { sizes.append(4) }
                    if sizes.reduce(0, +) == dataSize {
                        var q = p + 4
                        var z: (u: UInt64, c: UInt64, o: UInt64) = (0, 0, 0)
                        if uncompressed32 == .max { z.u = u64(q); q += 8 }
                        if compressed32 == .max { z.c = u64(q); q += 8 }
                        if localOffset32 == .max { z.o = u64(q); q += 8 }
                        zip64 = z
                    }
                    break
                }
                p = blockEnd
            }
            if UInt8(truncatingIfNeeded: version) >= 45 || zip64 != nil, let z = zip64 {
                if z.u > 0 { uncompressed = z.u }
                if z.c > 0 { compressed = z.c }
                if z.o > 0 { localOffset = z.o }
            }

            let local = try bounded(localOffset, size - 30, "\(field) local header offset")
            guard u32(local) == 0x0403_4B50 else { throw fail(field, "a local file header at byte \(local)") }
            let dataOffset = local + 30 + Int(u16(local + 26)) + Int(u16(local + 28))
            guard dataOffset <= size else { throw fail(field, "its local header inside the file") }
            let compressedSize = try bounded(compressed, size - dataOffset, "\(field) compressed size")
            let uncompressedSize: Int
            if method == 0 {
                // A stored entry is read for its uncompressed size, straight from the data offset.
                uncompressedSize = try bounded(uncompressed, size - dataOffset, "\(field) size")
            } else {
                uncompressedSize = try bounded(uncompressed, TorchTensors.mul(compressedSize, 1032).map { $0 + 1024 } ?? Int.max,
                                               "\(field) uncompressed size (deflate expands at most 1032:1)")
            }
            out.append(EntryInfo(method: method, crc32: crc, compressedSize: compressedSize,
                                 uncompressedSize: uncompressedSize, dataOffset: dataOffset))
            at = next
        }
        return out
    }
}
