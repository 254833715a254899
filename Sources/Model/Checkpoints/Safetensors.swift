import Foundation

/// safetensors, our native format: an 8-byte little-endian header length N, N bytes of JSON
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}`, then the data.
/// Offsets are relative to the data section; the tensors must tile it exactly, without gaps or overlap.
enum Safetensors {
    /// The reference implementation's header limit.
    static let maxHeaderBytes = 100_000_000

    static let dtypeNames: [String: StoredDType] = [
        "F32": .float32, "F16": .float16, "BF16": .bfloat16, "F64": .float64, "I64": .int64,
        "I32": .int32, "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool,
    ]

    /// True when `bytes` (the file's first bytes) look like a safetensors header of a file of `fileSize` bytes.
    static func sniff(_ bytes: [UInt8], fileSize: Int) -> Bool {
        guard bytes.count >= 9 else { return false }
        var n: UInt64 = 0
        for i in 0 ..< 8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        return n >= 2 && n <= UInt64(fileSize - 8) && bytes[8] == UInt8(ascii: "{")
    }

    static func read(_ data: Data, file: String) throws -> StateDict {
        try data.withUnsafeBytes { raw in try read(raw, file: file) }
    }

    static func read(_ raw: UnsafeRawBufferPointer, file: String) throws -> StateDict {
        var reader = ByteReader(raw, file: file)
        let headerLength = try reader.length64("header length")
        guard headerLength <= maxHeaderBytes else {
            throw CheckpointError.limitExceeded(file: file, field: "header length", limit: "at most \(maxHeaderBytes) bytes (found \(headerLength))")
        }
        let header = try reader.slice(headerLength, "JSON header of \(headerLength) bytes")
        let dataStart = reader.position
        let dataBytes = UnsafeRawBufferPointer(rebasing: raw[dataStart...])

        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(header), options: [])
        } catch {
            throw CheckpointError.malformed(file: file, field: "JSON header", expected: "valid JSON (\(error.localizedDescription))")
        }
        guard let object = json as? [String: Any] else {
            throw CheckpointError.malformed(file: file, field: "JSON header", expected: "a JSON object")
        }

        var dict = StateDict()
        var entries: [(name: String, dtype: StoredDType, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else {
                    throw CheckpointError.malformed(file: file, field: "__metadata__", expected: "an object of strings")
                }
                for (k, v) in meta {
                    guard let s = v as? String else {
                        throw CheckpointError.malformed(file: file, field: "__metadata__.\(k)", expected: "a string value")
                    }
                    dict.metadata[k] = s
                }
                continue
            }
            let field = "tensor \(name)"
            guard let info = value as? [String: Any] else {
                throw CheckpointError.malformed(file: file, field: field, expected: "an object with dtype, shape, data_offsets")
            }
            guard let dtypeName = info["dtype"] as? String else {
                throw CheckpointError.malformed(file: file, field: "\(field) dtype", expected: "a dtype string")
            }
            guard let dtype = dtypeNames[dtypeName] else {
                throw CheckpointError.unsupported(file: file, field: "\(field) dtype", feature: "dtype \(dtypeName)")
            }
            let shape = try integers(info["shape"], file: file, field: "\(field) shape")
            let offsets = try integers(info["data_offsets"], file: file, field: "\(field) data_offsets")
            guard offsets.count == 2, offsets[0] <= offsets[1] else {
                throw CheckpointError.malformed(file: file, field: "\(field) data_offsets", expected: "[begin, end] with begin <= end")
            }
            guard offsets[1] <= dataBytes.count else {
                throw CheckpointError.outOfBounds(file: file, tensor: name,
                                                  expected: "data_offsets end \(offsets[1]) within the \(dataBytes.count) data bytes")
            }
            var count = 1
            for d in shape {
                guard let c = TorchTensors.mul(count, d) else {
                    throw CheckpointError.malformed(file: file, field: "\(field) shape", expected: "an element count that fits (\(shape))")
                }
                count = c
            }
            guard let byteCount = TorchTensors.mul(count, dtype.byteSize), byteCount == offsets[1] - offsets[0] else {
                throw CheckpointError.outOfBounds(
                    file: file, tensor: name,
                    expected: "\(count) \(dtypeName) elements (shape \(shape)) in data_offsets \(offsets) of \(offsets[1] - offsets[0]) bytes")
            }
            entries.append((name, dtype, shape, offsets[0], offsets[1]))
        }

        // The tensors tile the data section exactly: sorted by offset, each starts where the last ended.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        for e in entries {
            guard e.begin == cursor else {
                throw CheckpointError.malformed(
                    file: file, field: "tensor \(e.name) data_offsets",
                    expected: e.begin < cursor ? "no overlap with the previous tensor (which ends at \(cursor))"
                        : "no gap before it (the previous tensor ends at \(cursor), it begins at \(e.begin))")
            }
            cursor = e.end
        }
        guard cursor == dataBytes.count else {
            throw CheckpointError.malformed(file: file, field: "data section",
                                            expected: "\(dataBytes.count) bytes covered by tensors (they cover \(cursor))")
        }

        for e in entries {
            let bytes = UnsafeRawBufferPointer(rebasing: dataBytes[e.begin ..< e.end])
            let count = (e.end - e.begin) / e.dtype.byteSize
            let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0 ..< count { out[i] = e.dtype.load(bytes, element: i) }
                initialized = count
            }
            dict[e.name] = StoredTensor(shape: e.shape, dtype: e.dtype, values: values)
        }
        return dict
    }

    /// A JSON array of non-negative integers.
    private static func integers(_ value: Any?, file: String, field: String) throws -> [Int] {
        guard let array = value as? [Any], array.count <= 64 else {
            throw CheckpointError.malformed(file: file, field: field, expected: "an array of at most 64 non-negative integers")
        }
        return try array.map {
            guard let n = $0 as? NSNumber, n.doubleValue >= 0, n.doubleValue < 9e15,
                  n.doubleValue == Double(n.int64Value) else {
                throw CheckpointError.malformed(file: file, field: field, expected: "non-negative integers")
            }
            return n.intValue
        }
    }

    /// The file's bytes: float tensors as F32, integer and bool tensors as I64, names sorted.
    static func encode(_ dict: StateDict) throws -> Data {
        var header: [String: Any] = [:]
        if !dict.metadata.isEmpty { header["__metadata__"] = dict.metadata }
        var blobs: [[UInt8]] = []
        var offset = 0
        for name in dict.keys.sorted() {
            let t = dict[name]!
            let bytes = t.dtype.isFloatingPoint ? float32Bytes(t.values) : int64Bytes(t.values)
            header[name] = ["dtype": t.dtype.isFloatingPoint ? "F32" : "I64", "shape": t.shape,
                            "data_offsets": [offset, offset + bytes.count]] as [String: Any]
            offset += bytes.count
            blobs.append(bytes)
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data()
        out.reserveCapacity(8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for b in blobs { out.append(contentsOf: b) }
        return out
    }
}
