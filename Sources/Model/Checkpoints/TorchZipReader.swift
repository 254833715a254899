import Foundation
import ZIPFoundation

/// Reads a `.pth` in the zip format `torch.save` has written since PyTorch 1.6: `<prefix>/data.pkl` (the pickle),
/// `<prefix>/data/<key>` (one raw little-endian storage per key), `<prefix>/byteorder` (optional, "little").
enum TorchZipReader {
    /// The pickle itself: a state dict's is a few hundred bytes per tensor.
    static let maxPickleBytes = 1 << 30

    /// `data` is the file's content (already read by the caller), for the structural checks before ZIPFoundation
    /// opens `url`.
    static func read(_ url: URL, data fileData: Data, file: String) throws -> StateDict {
        let fileSize = fileData.count
        let infos = try fileData.withUnsafeBytes { try ZipPreflight(file: file, bytes: $0).entries() }
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw CheckpointError.malformed(file: file, field: "zip archive", expected: "a readable zip archive (\(error))")
        }

        // Index the entries once; torch names the archive after the first entry's top folder.
        // ZIPFoundation walks the central directory in the order the preflight did, so the i-th entry is infos[i].
        var entries: [String: (entry: Entry, info: ZipPreflight.EntryInfo)] = [:]
        var prefix: String?
        var index = 0
        for entry in archive {
            guard index < infos.count else { break }
            let path = entry.path
            if prefix == nil, let slash = path.firstIndex(of: "/") { prefix = String(path[..<slash]) }
            if entries[path] == nil { entries[path] = (entry, infos[index]) }
            index += 1
        }
        guard index == infos.count else {
            throw CheckpointError.malformed(file: file, field: "zip central directory",
                                            expected: "\(infos.count) readable entries (ZIPFoundation read \(index))")
        }
        guard let prefix, let pickleEntry = entries["\(prefix)/data.pkl"] else {
            throw CheckpointError.malformed(file: file, field: "zip archive",
                                            expected: "<name>/data.pkl (a torch.save checkpoint; found \(entries.count) entries)")
        }

        if let order = entries["\(prefix)/byteorder"] {
            let data = try extract(order, from: archive, fileSize: fileSize, limit: 16, file: file)
            switch String(decoding: data, as: UTF8.self) {
            case "little": break
            case "big":
                throw CheckpointError.unsupported(file: file, field: "\(prefix)/byteorder", feature: "a big-endian checkpoint")
            case let other:
                throw CheckpointError.malformed(file: file, field: "\(prefix)/byteorder", expected: "'little' or 'big' (found '\(other)')")
            }
        }

        let pickle = try extract(pickleEntry, from: archive, fileSize: fileSize, limit: maxPickleBytes, file: file)
        let section = "data.pkl"
        let plan: TorchPlan = try pickle.withUnsafeBytes { raw in
            var position = 0
            return try Unpickler.unpickle(raw, position: &position, file: file, section: section,
                                          persistentLoad: { pid, field in
                .storage(try TorchTensors.storage(fromPersistentID: pid, legacy: false, file: file, field: field))
            }) { value in
                try TorchTensors.plan(from: value, file: file, section: section)
            }
        }

        // Storages are read once each, when a tensor first needs them.
        var storages: [String: Data] = [:]
        var dict = StateDict()
        dict.metadata = plan.metadata
        for (name, spec) in plan.tensors {
            let key = spec.storage.key
            if storages[key] == nil {
                guard let entry = entries["\(prefix)/data/\(key)"] else {
                    throw CheckpointError.malformed(file: file, field: "tensor \(name)",
                                                    expected: "its storage \(prefix)/data/\(key) in the archive")
                }
                // The storage must hold what the pickle claims before its bytes are read.
                let claimed = TorchTensors.mul(spec.storage.numel, spec.storage.dtype.byteSize) ?? Int.max
                guard claimed <= entry.info.uncompressedSize else {
                    throw CheckpointError.outOfBounds(
                        file: file, tensor: name,
                        expected: "its storage '\(key)' claims \(spec.storage.numel) \(spec.storage.dtype) elements "
                            + "(\(claimed) bytes), but \(prefix)/data/\(key) holds \(entry.info.uncompressedSize) bytes")
                }
                storages[key] = try extract(entry, from: archive, fileSize: fileSize, limit: Int.max, file: file)
            }
            let tensor = try storages[key]!.withUnsafeBytes { raw in
                try TorchTensors.materialize(spec, name: name, storageBytes: raw, file: file)
            }
            dict[name] = tensor
        }
        return dict
    }

    /// An entry's bytes. Its size was checked against the file by `ZipPreflight`; `limit` caps it further, the
    /// bytes delivered must match it, and the CRC-32 must match the central directory's.
    static func extract(_ located: (entry: Entry, info: ZipPreflight.EntryInfo), from archive: Archive, fileSize: Int,
                        limit: Int, file: String) throws -> Data {
        let (entry, info) = located
        let declared = UInt64(info.uncompressedSize)
        guard info.uncompressedSize <= limit, entry.type == .file else {
            throw CheckpointError.limitExceeded(
                file: file, field: "zip entry \(entry.path)",
                limit: "a regular file of at most \(limit) bytes (found \(entry.type), \(declared) bytes)")
        }
        var data = Data()
        data.reserveCapacity(Int(declared))
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry, skipCRC32: false) { chunk in
                guard UInt64(data.count + chunk.count) <= declared else {
                    throw CheckpointError.malformed(file: file, field: "zip entry \(entry.path)",
                                                    expected: "\(declared) bytes as its header declares (found more)")
                }
                data.append(chunk)
            }
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.malformed(file: file, field: "zip entry \(entry.path)", expected: "readable zip data (\(error))")
        }
        guard UInt64(data.count) == declared else {
            throw CheckpointError.truncated(file: file, field: "zip entry \(entry.path)", needed: Int(declared), available: data.count)
        }
        guard checksum == info.crc32 else {
            throw CheckpointError.malformed(file: file, field: "zip entry \(entry.path)",
                                            expected: "CRC-32 \(info.crc32) (computed \(checksum): the entry is corrupt)")
        }
        return data
    }
}
