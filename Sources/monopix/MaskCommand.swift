import ArgumentParser
import Engine
import Foundation
import ImageIO

/// `monopix mask`: the reference demos' intensity maps, and a picture of any mask.
struct MaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mask",
        abstract: "Build intensity masks (ramp, strips, radial, constant) or draw one as a picture.",
        subcommands: [Build.self, Show.self],
        defaultSubcommand: Build.self)

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "make",
            abstract: "Write a mask: monopix mask ramp --size 256x256 --min 0 --max 1 --out ramp.png",
            discussion: "Masks are .npy (float32 HxW) or 16-bit PNG with the range in its text chunks, by the extension of --out.")

        @Argument(help: "ramp, strips, radial or constant.")
        var shape: String

        @Option(help: "WIDTHxHEIGHT.")
        var size: String

        @Option(name: .customLong("min"), parsing: .unconditional, help: "Lowest level.")
        var lo: Float = 0

        @Option(name: .customLong("max"), parsing: .unconditional, help: "Highest level (the level of a constant mask).")
        var hi: Float = 1

        @Option(help: "Number of strips.")
        var strips = 5

        @Flag(help: "Mirror the mask left to right (radial: low at the centre).")
        var reverse = false

        @Option(help: "Output file (.npy or .png).")
        var out: String

        func run() throws {
            let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0, parts[0] * parts[1] <= 1 << 28 else {
                throw EngineError.invalidArgument("--size must be WIDTHxHEIGHT, e.g. 256x256")
            }
            let (w, h) = (parts[0], parts[1])
            let map: IntensityMap
            switch shape {
            case "ramp": map = .ramp(width: w, height: h, from: lo, to: hi, reverse: reverse)
            case "strips": map = .strips(width: w, height: h, count: strips, from: lo, to: hi, reverse: reverse)
            case "radial": map = .radial(width: w, height: h, from: lo, to: hi, reverse: reverse)
            case "constant": map = IntensityMap(width: w, height: h, constant: hi)
            default: throw EngineError.invalidArgument("unknown mask shape '\(shape)': ramp, strips, radial or constant")
            }
            try map.write(to: URL(fileURLWithPath: out))
            print("wrote \(out) (\(w)x\(h), \(map.values.min()!) … \(map.values.max()!))")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Draw a mask with a colour map and a legend.")

        @Argument(help: "The mask (.npy, gray PNG, or colour PNG with --palette).")
        var mask: String

        @Option(help: "Legend of a colour-coded mask, e.g. 'white=0.7,red=-0.5,*=-2'.")
        var palette: String?

        @Option(help: "The picture to write (PNG).")
        var out: String

        func run() throws {
            let map = try IntensityMap(contentsOf: URL(fileURLWithPath: mask), palette: palette.map { try MaskPalette(parsing: $0) })
            try PNGFile.write(map.picture(), to: URL(fileURLWithPath: out))
            print("wrote \(out)")
        }
    }
}
