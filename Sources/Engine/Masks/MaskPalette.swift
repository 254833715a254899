import Foundation

/// A colour-coded mask's legend, as in the reference's low-light demo (white → 0.7, red → -0.5, anything else → -2):
/// written `white=0.7,red=-0.5,*=-2`, colours by name or `#rrggbb`, `*` for every other colour.
public struct MaskPalette: Sendable, Equatable {
    public var entries: [(red: UInt8, green: UInt8, blue: UInt8, level: Float)]
    public var fallback: Float?

    public static func == (a: MaskPalette, b: MaskPalette) -> Bool {
        a.fallback == b.fallback && a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy { $0.red == $1.red && $0.green == $1.green && $0.blue == $1.blue && $0.level == $1.level }
    }

    static let names: [String: (UInt8, UInt8, UInt8)] = [
        "white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255),
        "yellow": (255, 255, 0), "cyan": (0, 255, 255), "magenta": (255, 0, 255), "gray": (128, 128, 128), "grey": (128, 128, 128),
    ]

    public init(parsing text: String) throws {
        entries = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let level = Float(kv[1].trimmingCharacters(in: .whitespaces)) else {
                throw EngineError.invalidArgument("palette entry '\(part)': expected COLOUR=LEVEL, e.g. white=0.7")
            }
            let colour = kv[0].trimmingCharacters(in: .whitespaces).lowercased()
            if colour == "*" { fallback = level; continue }
            if let rgb = Self.names[colour] {
                entries.append((rgb.0, rgb.1, rgb.2, level))
            } else if colour.hasPrefix("#"), colour.count == 7, let v = UInt32(colour.dropFirst(), radix: 16) {
                entries.append((UInt8(v >> 16), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF), level))
            } else {
                throw EngineError.invalidArgument("palette colour '\(colour)' is unknown: use a name (\(Self.names.keys.sorted().joined(separator: ", "))) or #rrggbb")
            }
        }
        guard !entries.isEmpty || fallback != nil else { throw EngineError.invalidArgument("empty palette") }
    }

    /// The level of one colour, or nil when the palette has neither that colour nor `*`.
    public func level(red: UInt8, green: UInt8, blue: UInt8) -> Float? {
        entries.first { $0.red == red && $0.green == green && $0.blue == blue }?.level ?? fallback
    }
}
