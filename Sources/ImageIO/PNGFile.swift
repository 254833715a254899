import CImageCodecs
import Foundation

/// A PNG decoded without loss: samples exactly as stored (after expanding palettes and bit depths below 8).
public struct DecodedPNG: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. A palette image becomes RGB (RGBA with a tRNS chunk); a gray or RGB
    /// image with a tRNS chunk (one transparent colour) gets an alpha channel.
    public let channels: Int
    /// 8 or 16. Palette images and gray images of 1, 2 or 4 bits become 8-bit (gray scaled to 0…255).
    public let bitDepth: Int
    /// `width * height * channels` samples, rows top to bottom, channels interleaved; 0…255 or 0…65535.
    public let samples: [UInt16]
    /// The tEXt, zTXt and iTXt chunks, before and after the image data, keyword → text. When a keyword repeats,
    /// the first one wins.
    public let text: [String: String]

    public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16], text: [String: String]) {
        precondition(samples.count == width * height * channels, "DecodedPNG: \(samples.count) samples")
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.samples = samples
        self.text = text
    }

    /// The sample of `channel` at (x, y).
    public subscript(x: Int, y: Int, channel: Int) -> UInt16 { samples[(y * width + x) * channels + channel] }
}

/// PNG reading and writing through libpng. Every reader checks the signature, reads the header, refuses images
/// beyond `limits`, and only then allocates; every writer writes atomically (see `write(_:to:)`).
public enum PNGFile {
    /// The eight bytes every PNG starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads any PNG as 8-bit RGB: alpha (and tRNS) dropped, gray and palette expanded, 16-bit samples scaled
    /// to 8 bits with rounding (libpng's `png_set_scale_16`: round(v / 257)). Gamma and colour chunks are ignored;
    /// the samples are taken as they are.
    public static func readRGB(_ url: URL, limits: ImageLimits = .standard) throws -> RGBImage {
        try requireSignature(url)
        let reader = try PNGReader(url)
        try reader.check(limits)
        let info = reader.info
        var transforms = UInt32(MPX_PNG_STRIP_ALPHA | MPX_PNG_SCALE_16)
        switch info.color_type {
        case PNGColorType.palette: transforms |= UInt32(MPX_PNG_PALETTE_TO_RGB)
        case PNGColorType.gray, PNGColorType.grayAlpha:
            transforms |= UInt32(MPX_PNG_GRAY_TO_RGB)
            if info.bit_depth < 8 { transforms |= UInt32(MPX_PNG_EXPAND_GRAY_TO_8) }
        default: break
        }
        let layout = try reader.prepare(transforms)
        let width = Int(info.width), height = Int(info.height)
        guard layout.channels == 3, layout.bitDepth == 8, layout.rowBytes == width * 3 else {
            throw reader.unexpectedLayout(layout)
        }
        let pixels = try [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            try reader.read(into: UnsafeMutableRawBufferPointer(buffer), rowStride: width * 3)
            count = width * height * 3
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Reads a PNG without loss: every channel at its stored depth (8 or 16 bits), and the text chunks.
    /// See `DecodedPNG` for how palette, low-bit-depth and tRNS images are expanded.
    public static func read(_ url: URL, limits: ImageLimits = .standard) throws -> DecodedPNG {
        try requireSignature(url)
        let reader = try PNGReader(url)
        try reader.check(limits)
        let info = reader.info
        var transforms: UInt32 = 0
        if info.color_type == PNGColorType.palette { transforms |= UInt32(MPX_PNG_PALETTE_TO_RGB) }
        if info.color_type == PNGColorType.gray && info.bit_depth < 8 { transforms |= UInt32(MPX_PNG_EXPAND_GRAY_TO_8) }
        if info.has_trns != 0 { transforms |= UInt32(MPX_PNG_TRNS_TO_ALPHA) }
        if info.bit_depth == 16 && UInt16(1).littleEndian == 1 { transforms |= UInt32(MPX_PNG_SWAP_16) }
        let layout = try reader.prepare(transforms)
        let width = Int(info.width), height = Int(info.height)
        let count = width * height * layout.channels
        guard (1...4).contains(layout.channels), layout.bitDepth == 8 || layout.bitDepth == 16,
              layout.rowBytes == width * layout.channels * layout.bitDepth / 8 else {
            throw reader.unexpectedLayout(layout)
        }
        let samples: [UInt16]
        if layout.bitDepth == 16 {
            samples = try [UInt16](unsafeUninitializedCapacity: count) { buffer, initialized in
                try reader.read(into: UnsafeMutableRawBufferPointer(buffer), rowStride: layout.rowBytes)
                initialized = count
            }
        } else {
            let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                try reader.read(into: UnsafeMutableRawBufferPointer(buffer), rowStride: layout.rowBytes)
                initialized = count
            }
            samples = bytes.map(UInt16.init)
        }
        return DecodedPNG(width: width, height: height, channels: layout.channels, bitDepth: layout.bitDepth,
                          samples: samples, text: reader.text())
    }

    /// Writes `image` as an 8-bit RGB PNG, atomically: the data goes to a temporary file in the same folder, which
    /// is fsync'ed and renamed over `url` only when complete. On any error the temporary file is removed and an
    /// existing file at `url` is left as it was.
    public static func write(_ image: RGBImage, to url: URL) throws {
        try encode(to: url, width: image.width, height: image.height, bitDepth: 8, colorType: PNGColorType.rgb,
                   rows: image.pixels, rowStride: image.width * 3, text: [:])
    }

    /// Writes a one-channel (gray) PNG of `bitDepth` 8 or 16 with text chunks, atomically like `write(_:to:)`.
    /// `samples` are `width * height` values, rows top to bottom; for 8 bits each must be at most 255. Keywords must
    /// be 1–79 printable Latin-1 characters without leading, trailing or double spaces; a text that is Latin-1 goes
    /// in a tEXt chunk, any other in an uncompressed iTXt chunk (UTF-8). Chunks are written in keyword order.
    /// Throws `unsupported` for another bit depth, a sample too large, a bad keyword or a text containing NUL.
    public static func writeGray(width: Int, height: Int, samples: [UInt16], bitDepth: Int,
                                 text: [String: String] = [:], to url: URL) throws {
        precondition(samples.count == width * height, "writeGray: \(samples.count) samples for \(width)x\(height)")
        let bytes: [UInt8]
        switch bitDepth {
        case 8:
            if let bad = samples.first(where: { $0 > 255 }) {
                throw ImageIOError.unsupported(path: url.path, format: .png, what: "sample \(bad) in an 8-bit image")
            }
            bytes = samples.map { UInt8($0) }
        case 16:
            bytes = [UInt8](unsafeUninitializedCapacity: samples.count * 2) { buffer, count in
                for (i, s) in samples.enumerated() {
                    buffer[2 * i] = UInt8(s >> 8)
                    buffer[2 * i + 1] = UInt8(s & 0xFF)
                }
                count = samples.count * 2
            }
        default:
            throw ImageIOError.unsupported(path: url.path, format: .png, what: "gray bit depth \(bitDepth); use 8 or 16")
        }
        try encode(to: url, width: width, height: height, bitDepth: bitDepth, colorType: PNGColorType.gray,
                   rows: bytes, rowStride: width * bitDepth / 8, text: text)
    }

    /// `image` as the bytes of an 8-bit RGB PNG, in memory (terminal graphics protocols take PNG). `level` is zlib's
    /// 0–9: the studio sends a picture per frame and wants 1 (fast, a little larger).
    public static func encode(_ image: RGBImage, level: Int = 6) throws -> [UInt8] {
        guard let w = UInt32(exactly: image.width), let h = UInt32(exactly: image.height), w > 0, h > 0 else {
            throw ImageIOError.unsupported(path: "(memory)", format: .png, what: "size \(image.width)x\(image.height)")
        }
        var err = mpx_error()
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = image.pixels.withUnsafeBytes { pixels in
            mpx_png_encode_rgb(w, h, pixels.baseAddress, image.width * 3, Int32(min(9, max(0, level))), &out, &size, &err)
        }
        defer { mpx_free(out) }
        guard status == 0, let out else {
            throw ImageIOError.unsupported(path: "(memory)", format: .png, what: "libpng: \(FileAccess.message(err))")
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    // MARK: - Internals

    static func requireSignature(_ url: URL) throws {
        let head = try FileAccess.leadingBytes(of: url)
        guard head.starts(with: signature) else {
            throw ImageIOError.notAnImage(path: url.path, expected: "PNG", found: FileAccess.describeLeadingBytes(head))
        }
    }

    private static func encode(to url: URL, width: Int, height: Int, bitDepth: Int, colorType: Int32,
                               rows: [UInt8], rowStride: Int, text: [String: String]) throws {
        let path = url.path
        let chunks = try text.keys.sorted().map { key in try TextChunk(key: key, text: text[key]!, path: path) }
        guard let w = UInt32(exactly: width), let h = UInt32(exactly: height) else {
            throw ImageIOError.unsupported(path: path, format: .png, what: "size \(width)x\(height)")
        }
        try FileAccess.writeAtomically(to: url) { fd in
            var err = mpx_error()
            let status = TextChunk.withCArray(chunks) { texts, textCount in
                rows.withUnsafeBytes { pixels in
                    mpx_png_write_fd(fd, w, h, Int32(bitDepth), colorType, pixels.baseAddress, rowStride,
                                     texts, textCount, &err)
                }
            }
            guard status == 0 else { throw writeFailure(err, path: path) }
        }
    }

    /// What a failed libpng write reports: the system's reason, or libpng's message with its first warning.
    static func writeFailure(_ err: mpx_error, path: String) -> ImageIOError {
        if err.sys_errno != 0 {
            return .unwritable(path: path, reason: FileAccess.describe(errno: err.sys_errno))
        }
        var message = FileAccess.message(err)
        let warning = FileAccess.firstWarning(err)
        if !warning.isEmpty { message += ": \(warning)" }
        return .unsupported(path: path, format: .png, what: "libpng: \(message)")
    }
}

/// PNG colour types (IHDR byte 9), as the PNG specification numbers them.
enum PNGColorType {
    static let gray: Int32 = 0
    static let rgb: Int32 = 2
    static let palette: Int32 = 3
    static let grayAlpha: Int32 = 4
    static let rgba: Int32 = 6
}

/// One open libpng reader; closed when released.
final class PNGReader {
    let handle: OpaquePointer
    let path: String
    let info: mpx_png_info

    struct Layout {
        var channels: Int
        var bitDepth: Int
        var rowBytes: Int
    }

    /// The file's size, for the plausibility checks in `check(_:)`.
    let fileSize: Int

    init(_ url: URL) throws {
        path = url.path
        fileSize = try Self.checkChunkLengths(url)
        var err = mpx_error()
        var info = mpx_png_info()
        guard let handle = mpx_png_open(path, &info, &err) else {
            throw FileAccess.codecReadError(err, path: path, format: .png)
        }
        self.handle = handle
        self.info = info
    }

    deinit { mpx_png_close(handle) }

    func check(_ limits: ImageLimits) throws {
        let width = Int(info.width), height = Int(info.height)
        guard limits.admits(width: width, height: height) else {
            throw ImageIOError.tooLarge(path: path, width: width, height: height, limit: limits)
        }
        // The rows are allocated before libpng reads any, so a 400-byte file claiming 16384x16384 would cost
        // gigabytes before failing. Deflate shrinks at most 1032:1: a file smaller than the filtered rows / 1032
        // cannot hold them.
        let needed = Self.minimumCompressedBytes(width: width, height: height, bitDepth: Int(info.bit_depth),
                                                 colorType: info.color_type)
        guard needed <= fileSize else {
            throw ImageIOError.corrupt(path: path, format: .png, message:
                "a \(fileSize)-byte file cannot hold the \(width)x\(height) image its header declares "
                + "(at least \(needed) bytes of compressed data)")
        }
    }

    /// Walks the chunk headers before libpng does, because libpng allocates and clears whatever length an
    /// ancillary chunk declares before reading it: a 400-byte file with an iTXt "of 2 GB" cost 2 GB and seconds.
    /// A chunk other than IDAT (which libpng streams) declaring more than the file has left is refused here.
    /// Returns the file's size.
    static func checkChunkLengths(_ url: URL) throws -> Int {
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else { return Int.max }
        try data.withUnsafeBytes { bytes in
            var at = PNGFile.signature.count
            while at + 8 <= bytes.count {
                let length = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                let type = TextChunk.latin1(UnsafeRawBufferPointer(rebasing: bytes[at + 4 ..< at + 8]))
                let left = max(0, bytes.count - at - 12)
                if type != "IDAT" && length > left {
                    throw ImageIOError.corrupt(path: url.path, format: .png, message:
                        "chunk \(type) at byte \(at) declares \(length) bytes, but the file has \(left) left")
                }
                if type == "IEND" { break }
                at += 12 + length
            }
        }
        return data.count
    }

    /// The fewest IDAT bytes a `width`x`height` image can compress to: its filtered rows (one filter byte each,
    /// non-interlaced, which needs the fewest) at deflate's best ratio of 1032:1.
    static func minimumCompressedBytes(width: Int, height: Int, bitDepth: Int, colorType: Int32) -> Int {
        let channels: Int
        switch colorType {
        case PNGColorType.rgb: channels = 3
        case PNGColorType.grayAlpha: channels = 2
        case PNGColorType.rgba: channels = 4
        default: channels = 1
        }
        let rowBytes = (width * channels * bitDepth + 7) / 8
        return height * (1 + rowBytes) / 1032
    }

    func prepare(_ transforms: UInt32) throws -> Layout {
        var err = mpx_error()
        var channels: Int32 = 0, bitDepth: Int32 = 0
        var rowBytes = 0
        guard mpx_png_prepare(handle, transforms, &channels, &bitDepth, &rowBytes, &err) == 0 else {
            throw FileAccess.codecReadError(err, path: path, format: .png)
        }
        return Layout(channels: Int(channels), bitDepth: Int(bitDepth), rowBytes: rowBytes)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, rowStride: Int) throws {
        var err = mpx_error()
        guard mpx_png_read(handle, buffer.baseAddress, buffer.count, rowStride, &err) == 0 else {
            throw FileAccess.codecReadError(err, path: path, format: .png)
        }
    }

    func unexpectedLayout(_ layout: Layout) -> ImageIOError {
        .unsupported(path: path, format: .png, what: "colour type \(info.color_type) at \(info.bit_depth) bits "
                     + "decodes to \(layout.channels) channels at \(layout.bitDepth) bits")
    }

    func text() -> [String: String] {
        var result: [String: String] = [:]
        for i in 0..<mpx_png_text_count(handle) {
            var key: UnsafePointer<CChar>?
            var text: UnsafePointer<CChar>?
            var length = 0
            var utf8: Int32 = 0
            guard mpx_png_text_at(handle, i, &key, &text, &length, &utf8) == 0, let key, let text else { continue }
            let keyString = TextChunk.latin1(UnsafeRawBufferPointer(start: key, count: strlen(key)))
            let bytes = UnsafeRawBufferPointer(start: text, count: length)
            let value = utf8 != 0 ? String(decoding: bytes, as: UTF8.self) : TextChunk.latin1(bytes)
            if result[keyString] == nil { result[keyString] = value }
        }
        return result
    }
}

/// A text chunk ready for libpng: keyword in Latin-1, text in Latin-1 (tEXt) or UTF-8 (iTXt).
struct TextChunk {
    var key: [CChar]
    var text: [CChar]
    var utf8: Bool

    init(key: String, text: String, path: String) throws {
        func refuse(_ why: String) -> ImageIOError { .unsupported(path: path, format: .png, what: why) }
        guard let keyBytes = TextChunk.latin1Bytes(key), (1...79).contains(keyBytes.count),
              keyBytes.allSatisfy({ (32...126).contains($0) || $0 >= 161 }),
              keyBytes.first != 32, keyBytes.last != 32, !key.contains("  ") else {
            throw refuse("text keyword \"\(key)\": must be 1-79 printable Latin-1 characters, single spaces inside")
        }
        guard !text.unicodeScalars.contains("\0") else { throw refuse("text for \"\(key)\" contains NUL") }
        self.key = keyBytes.map { CChar(bitPattern: $0) } + [0]
        if let latin1 = TextChunk.latin1Bytes(text) {
            self.text = latin1.map { CChar(bitPattern: $0) } + [0]
            utf8 = false
        } else {
            self.text = Array(text.utf8CString)
            utf8 = true
        }
    }

    static func latin1Bytes(_ s: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.unicodeScalars.count)
        for scalar in s.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }

    static func latin1(_ bytes: UnsafeRawBufferPointer) -> String {
        var scalars = String.UnicodeScalarView()
        for b in bytes { scalars.append(Unicode.Scalar(b)) }
        return String(scalars)
    }

    /// Calls `body` with a C array of `mpx_png_text` pointing into `chunks` (valid only during the call).
    static func withCArray<R>(_ chunks: [TextChunk], _ body: (UnsafePointer<mpx_png_text>?, Int32) -> R) -> R {
        func build(_ index: Int, _ built: [mpx_png_text]) -> R {
            if index == chunks.count {
                return built.withUnsafeBufferPointer { body($0.baseAddress, Int32(built.count)) }
            }
            let chunk = chunks[index]
            return chunk.key.withUnsafeBufferPointer { key in
                chunk.text.withUnsafeBufferPointer { text in
                    let entry = mpx_png_text(key: key.baseAddress, text: text.baseAddress, length: text.count - 1,
                                             utf8: chunk.utf8 ? 1 : 0)
                    return build(index + 1, built + [entry])
                }
            }
        }
        return build(0, [])
    }
}
