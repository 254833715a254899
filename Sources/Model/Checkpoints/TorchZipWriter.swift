import Foundation
import ZIPFoundation

/// Writes a state dict as the zip-format `.pth` `torch.save` produces, readable by
/// `torch.load(path, weights_only=True)` as an OrderedDict of tensors: floating tensors as float32
/// (FloatStorage), integer and bool tensors as int64 (LongStorage). Metadata has no place in this format.
enum TorchZipWriter {
    static func write(_ dict: StateDict, to url: URL) throws {
        let prefix = "archive"
        var described: [(name: String, shape: [Int], storageType: String, storageKey: String)] = []
        var storages: [Data] = []
        for (i, entry) in dict.entries.enumerated() {
            let t = entry.tensor
            let floating = t.dtype.isFloatingPoint
            described.append((entry.name, t.shape, floating ? "FloatStorage" : "LongStorage", String(i)))
            storages.append(Data(floating ? float32Bytes(t.values) : int64Bytes(t.values)))
        }
        let records: [(String, Data)] = [
            ("data.pkl", Data(PickleWriter.stateDict(described))),
            (".format_version", Data("1".utf8)),
            (".storage_alignment", Data("64".utf8)),
            ("byteorder", Data("little".utf8)),
        ] + storages.enumerated().map { ("data/\($0.offset)", $0.element) } + [
            ("version", Data("3\n".utf8)),
        ]
        try atomicWrite(to: url) { temp in
            let archive = try Archive(url: temp, accessMode: .create)
            for (name, data) in records {
                try archive.addEntry(with: "\(prefix)/\(name)", type: .file, uncompressedSize: Int64(data.count),
                                     compressionMethod: .none) { position, size in
                    data.subdata(in: Int(position) ..< Int(position) + size)
                }
            }
        }
    }
}
