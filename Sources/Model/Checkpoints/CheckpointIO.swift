import Foundation

/// The file formats `StateDict` reads and writes.
public enum CheckpointFormat: String, Sendable, CaseIterable {
    /// safetensors, our native format (read: every dtype listed in `StoredDType`; write: F32 and I64).
    case safetensors
    /// PyTorch's zip `.pth` (torch >= 1.6); read and written.
    case pytorch
    /// PyTorch's legacy `.pth` (before 1.6, or `_use_new_zipfile_serialization=False`); read only.
    case pytorchLegacy

    /// The format of the file's first bytes, or nil.
    static func sniff(_ head: [UInt8], fileSize: Int) -> CheckpointFormat? {
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .pytorch }  // PK\x03\x04
        if TorchLegacyReader.sniff(head) { return .pytorchLegacy }
        if Safetensors.sniff(head, fileSize: fileSize) { return .safetensors }
        return nil
    }
}

extension StateDict {
    /// Reads a checkpoint, recognising the format by its first bytes: a zip (`PK\x03\x04`) is a PyTorch `.pth`,
    /// a pickle of torch's magic number (`\x80\x02\x8a\x0a…`) a legacy `.pth`, and an 8-byte length that fits the
    /// file followed by `{` (or, failing that, a `.safetensors` name) a safetensors file. Nothing in the file is
    /// executed; see `CheckpointError` for what can fail.
    public static func load(contentsOf url: URL) throws -> StateDict {
        let file = displayName(url)
        let data = try readFile(url, file: file)
        let head = [UInt8](data.prefix(16))
        // A file named .safetensors whose header does not even look right gets the safetensors reader's own error.
        let sniffed = CheckpointFormat.sniff(head, fileSize: data.count)
            ?? (url.pathExtension.lowercased() == "safetensors" ? .safetensors : nil)
        guard let format = sniffed else {
            let found: String
            if head.starts(with: NumpyArray.magic) {
                found = "a .npy array; read it with NumpyArray(contentsOf:)"
            } else if head.starts(with: [0x80]) {
                found = "a bare pickle without torch's magic number"
            } else if data.count < 9 {
                found = "\(data.count) bytes"
            } else {
                found = "leading bytes " + head.prefix(8).map { String($0, radix: 16).leftPadded(2) }.joined(separator: " ")
            }
            throw CheckpointError.unknownFormat(file: file, found: found)
        }
        switch format {
        case .pytorch: return try TorchZipReader.read(url, data: data, file: file)
        case .pytorchLegacy: return try TorchLegacyReader.read(data, file: file)
        case .safetensors: return try Safetensors.read(data, file: file)
        }
    }

    /// Writes the checkpoint atomically (a temporary file in the same folder, then a rename). Floating tensors are
    /// written as float32, integer and bool tensors as int64. `.safetensors` sorts names and keeps `metadata`;
    /// `.pytorch` keeps this dict's order and drops `metadata`. `.pytorchLegacy` cannot be written.
    public func write(to url: URL, format: CheckpointFormat) throws {
        switch format {
        case .safetensors: try atomicWrite(try Safetensors.encode(self), to: url)
        case .pytorch: try TorchZipWriter.write(self, to: url)
        case .pytorchLegacy:
            throw CheckpointError.unsupported(file: displayName(url), field: "write", feature: "writing the legacy .pth format")
        }
    }
}
