import Foundation

/// Reads a `.pth` in the legacy format (before PyTorch 1.6, or `_use_new_zipfile_serialization=False`):
/// five pickles back to back (magic number, protocol version 1001, sys info, the state dict, the sorted storage
/// keys), then for each key an 8-byte little-endian element count and the storage's raw little-endian bytes.
enum TorchLegacyReader {
    /// `torch.serialization.MAGIC_NUMBER` (0x1950a86a20f9469cfc6c) as LONG1's little-endian bytes.
    static let magicNumber: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion: Int64 = 1001

    /// True when `bytes` start like a legacy checkpoint: PROTO n, LONG1 of 10 bytes, the magic number.
    static func sniff(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 14 && bytes[0] == 0x80 && bytes[2] == 0x8A && bytes[3] == 0x0A && Array(bytes[4 ..< 14]) == magicNumber
    }

    static func read(_ data: Data, file: String) throws -> StateDict {
        try data.withUnsafeBytes { raw in try read(raw, file: file) }
    }

    static func read(_ raw: UnsafeRawBufferPointer, file: String) throws -> StateDict {
        var position = 0
        try Unpickler.unpickle(raw, position: &position, file: file, section: "magic-number pickle") { value in
            guard case .bigInt(let bytes) = value, bytes == magicNumber else {
                throw CheckpointError.malformed(file: file, field: "magic-number pickle",
                                                expected: "torch's magic number 0x1950a86a20f9469cfc6c")
            }
        }
        try Unpickler.unpickle(raw, position: &position, file: file, section: "protocol-version pickle") { value in
            guard case .int(protocolVersion) = value else {
                throw CheckpointError.unsupported(file: file, field: "protocol-version pickle",
                                                  feature: "legacy protocol version other than 1001")
            }
        }
        try Unpickler.unpickle(raw, position: &position, file: file, section: "sys-info pickle") { value in
            guard case .dict(let info) = value,
                  let i = info.keys.firstIndex(where: { if case .string("little_endian") = $0 { true } else { false } }) else {
                throw CheckpointError.malformed(file: file, field: "sys-info pickle", expected: "a dict with little_endian")
            }
            guard case .bool(true) = info.values[i] else {
                throw CheckpointError.unsupported(file: file, field: "sys-info pickle", feature: "a big-endian checkpoint")
            }
        }

        // The dtype each storage key was first used with decides its element size in the data section, as in torch.
        var rootTypes: [String: StorageRef] = [:]
        let section = "main pickle"
        var plan = try Unpickler.unpickle(raw, position: &position, file: file, section: section, persistentLoad: { pid, field in
            let ref = try TorchTensors.storage(fromPersistentID: pid, legacy: true, file: file, field: field)
            if let first = rootTypes[ref.key], first.numel * first.dtype.byteSize != ref.numel * ref.dtype.byteSize {
                throw CheckpointError.malformed(file: file, field: field,
                                                expected: "storage '\(ref.key)' to have one byte size wherever it is used")
            }
            if rootTypes[ref.key] == nil { rootTypes[ref.key] = ref }
            return .storage(ref)
        }) { value in
            try TorchTensors.plan(from: value, file: file, section: section)
        }

        let keys: [String] = try Unpickler.unpickle(raw, position: &position, file: file, section: "storage-keys pickle") { value in
            guard case .list(let list) = value else {
                throw CheckpointError.malformed(file: file, field: "storage-keys pickle", expected: "a list of storage keys")
            }
            return try list.items.map {
                guard case .string(let key) = $0 else {
                    throw CheckpointError.malformed(file: file, field: "storage-keys pickle", expected: "string keys")
                }
                return key
            }
        }

        // Locate each storage's bytes; a count that disagrees with the pickle, or bytes past the end, are errors.
        var reader = ByteReader(raw, file: file, position: position)
        var ranges: [String: Range<Int>] = [:]
        for key in keys {
            guard let root = rootTypes[key] else {
                throw CheckpointError.malformed(file: file, field: "storage-keys pickle",
                                                expected: "only keys the main pickle uses (found '\(key)')")
            }
            let field = "storage '\(key)' element count at byte \(reader.position)"
            let count = try reader.integer(UInt64.self, field)
            guard count == UInt64(root.numel) else {
                throw CheckpointError.malformed(file: file, field: field,
                                                expected: "\(root.numel) elements as the pickle claims (found \(count))")
            }
            let byteCount = root.numel * root.dtype.byteSize  // numel was bounded when its persistent id was read
            try reader.require(byteCount, "storage '\(key)' data at byte \(reader.position)")
            ranges[key] = reader.position ..< reader.position + byteCount
            reader.position += byteCount
        }

        var dict = StateDict()
        dict.metadata = plan.metadata
        for (name, spec) in plan.tensors {
            guard let range = ranges[spec.storage.key] else {
                throw CheckpointError.malformed(file: file, field: "tensor \(name)",
                                                expected: "its storage '\(spec.storage.key)' in the storage-keys list")
            }
            dict[name] = try TorchTensors.materialize(spec, name: name, storageBytes: UnsafeRawBufferPointer(rebasing: raw[range]),
                                                      file: file)
        }
        plan.tensors = []
        return dict
    }
}
