import Kernels
import Model

/// How much memory a run may take in all (`--memory-budget`): the engine sizes its tiles to what is left of it
/// beside what the process already holds (the model, the decoded photo, its mask) and what the outputs need.
public struct MemoryBudget: Sendable, Equatable, CustomStringConvertible {
    public let bytes: Int

    public init(bytes: Int) { self.bytes = bytes }

    /// 1.5 GB: a 48 MP photo with a full-width model runs in it on a 2-core laptop that keeps working beside it,
    /// and images up to about 1 MP run in one tile (no halo work) at the reference's widths.
    public static let standard = MemoryBudget(bytes: 1_500_000_000)

    /// No limit: one tile, the whole image at once (benchmarks of the untiled path).
    public static let unlimited = MemoryBudget(bytes: Int.max / 2)

    /// Parses `1.5G`, `800M`, `2GB`, `512MiB`, `3000000000` (decimal units; `Ki`/`Mi`/`Gi` binary).
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let number = t.prefix { $0.isNumber || $0 == "." }
        guard let value = Double(number), value > 0 else { return nil }
        let unit = t.dropFirst(number.count).trimmingCharacters(in: .whitespaces)
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "k", "kb": scale = 1e3
        case "m", "mb": scale = 1e6
        case "g", "gb": scale = 1e9
        case "ki", "kib": scale = 1024
        case "mi", "mib": scale = 1_048_576
        case "gi", "gib": scale = 1_073_741_824
        default: return nil
        }
        guard value * scale < 1e15 else { return nil }
        bytes = Int(value * scale)
    }

    public var description: String {
        bytes >= Int.max / 4 ? "unlimited" : bytes >= 1_000_000_000 ? "\(Double(bytes / 10_000_000) / 100) GB" : "\(bytes / 1_000_000) MB"
    }

    /// What is left for tiles once the process's resident memory, `reserved` (outputs held outside the tiles) and
    /// the filter caches `generator`'s layers will still build are counted.
    func available(reserving reserved: Int, for generator: Generator) -> Int {
        let expected = generator.graph.convolutions.reduce(0) {
            $0 + FilterMemory.expectedBytes(inChannels: $1.inChannels, outChannels: $1.outChannels, kernel: $1.kernel)
        }
        return bytes - (PeakMemory.residentBytes ?? 0) - reserved - max(0, expected - FilterMemory.heldBytes)
    }
}
