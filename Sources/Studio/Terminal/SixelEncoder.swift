import CSixel
import ImageIO

/// Sixel through libsixel: `sixel_dither_new` / `sixel_dither_initialize` build a palette of at most the
/// terminal's colour registers, `sixel_encode` writes the DCS through a callback into a byte buffer.
enum SixelEncoder {
    /// Collects libsixel's output.
    private final class Sink {
        var bytes: [UInt8] = []
    }

    /// A complete sixel image: `ESC P 0;1;0 q "1;1;W;H`, the palette (`#n;2;r;g;b`, percent), the bands, `ESC \`.
    /// P2 = 1 leaves pixels the image does not set alone (nothing outside the image's raster is painted).
    static func encode(_ image: RGBImage, colours: Int) throws -> [UInt8] {
        let sink = Sink()
        var output: OpaquePointer?
        let write: sixel_write_function = { data, size, context in
            guard let data, let context, size > 0 else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            data.withMemoryRebound(to: UInt8.self, capacity: Int(size)) {
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(size)))
            }
            return size
        }
        var status = sixel_output_new(&output, write, Unmanaged.passUnretained(sink).toOpaque(), nil)
        guard status & 0x1000 == 0, let output else { throw StudioError.format(what: "sixel", reason: "sixel_output_new failed (\(status))") }
        defer { sixel_output_unref(output) }

        var dither: OpaquePointer?
        status = sixel_dither_new(&dither, Int32(min(256, max(2, colours))), nil)
        guard status & 0x1000 == 0, let dither else { throw StudioError.format(what: "sixel", reason: "sixel_dither_new failed (\(status))") }
        defer { sixel_dither_unref(dither) }

        var pixels = image.pixels
        status = pixels.withUnsafeMutableBufferPointer { p -> SIXELSTATUS in
            let s = sixel_dither_initialize(dither, p.baseAddress, Int32(image.width), Int32(image.height),
                                            Int32(SIXEL_PIXELFORMAT_RGB888), Int32(SIXEL_LARGE_AUTO),
                                            Int32(SIXEL_REP_AUTO), Int32(SIXEL_QUALITY_AUTO))
            guard s & 0x1000 == 0 else { return s }
            widenPalette(dither)
            return sixel_encode(p.baseAddress, Int32(image.width), Int32(image.height), 3, dither, output)
        }
        guard status & 0x1000 == 0 else { throw StudioError.format(what: "sixel", reason: "sixel_encode failed (\(status))") }
        return withTransparentBackground(sink.bytes)
    }

    /// libsixel builds its palette from a 5-bit-per-channel histogram, so white comes out as 248/255 (97%):
    /// stretch the palette back to the full 8 bits (0 stays 0, 248 becomes 255).
    private static func widenPalette(_ dither: OpaquePointer) {
        guard let palette = sixel_dither_get_palette(dither) else { return }
        let n = Int(sixel_dither_get_num_of_palette_colors(dither)) * 3
        for i in 0..<n { palette[i] = UInt8(min(255, (Int(palette[i]) * 255 + 124) / 248)) }
    }

    /// libsixel starts with `ESC P q`; the studio wants `ESC P 0;1;0 q` (see terminal.md).
    static func withTransparentBackground(_ bytes: [UInt8]) -> [UInt8] {
        let plain: [UInt8] = [0x1B, 0x50, 0x71]   // ESC P q
        guard bytes.starts(with: plain) else { return bytes }
        return [0x1B, 0x50] + Array("0;1;0q".utf8) + bytes.dropFirst(3)
    }
}
