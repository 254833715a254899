import Foundation

/// One of `count` shares of a batch (`--shard K/N`), so that N copies of `predict` on N machines over a shared folder
/// split the input between them with no coordination: an image belongs to shard K when the 64-bit FNV-1a hash of its
/// file name (the name alone, so that the folder may be mounted anywhere), modulo N, is K - 1. The share does not
/// depend on which other files are there, so adding images later moves none of the existing ones.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1 ... count.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        precondition(count >= 1 && index >= 1 && index <= count, "Shard: \(index)/\(count)")
        self.index = index
        self.count = count
    }

    /// `K/N` with 1 <= K <= N.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else { return nil }
        self.init(index: k, count: n)
    }

    public static let whole = Shard(index: 1, count: 1)

    public func contains(_ file: URL) -> Bool {
        count == 1 || Int(Self.fnv1a(file.lastPathComponent) % UInt64(count)) == index - 1
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    public var description: String { "\(index)/\(count)" }
}

/// What one `predict` run did, written beside its results (`summary.json`, or `summary-shard-K-of-N.json`) so that
/// a job array's shards can be checked and rerun.
public struct PredictionSummary: Codable, Sendable {
    public struct Failure: Codable, Sendable {
        public var image: String
        public var reason: String

        public init(image: String, reason: String) { self.image = image; self.reason = reason }
    }

    public var shard: String
    public var done: [String] = []
    public var skipped: [String] = []
    public var failed: [Failure] = []
    public var seconds: Double = 0

    public init(shard: Shard) { self.shard = shard.description }

    /// The summary's file in `folder` for `shard`.
    public static func file(in folder: URL, shard: Shard) -> URL {
        folder.appendingPathComponent(shard.count == 1 ? "summary.json" : "summary-shard-\(shard.index)-of-\(shard.count).json")
    }

    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try writeAtomically(try JSONEncoder.pretty.encode(self), to: url)
    }
}
