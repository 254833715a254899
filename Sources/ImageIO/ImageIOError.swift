/// The image formats ImageIO reads (PNG and JPEG) and writes (PNG).
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    case png
    case jpeg

    /// How a user calls it: "PNG", "JPEG".
    public var name: String { rawValue.uppercased() }

    /// The library that reads (and for PNG writes) it, named in codec messages.
    public var codec: String {
        switch self {
        case .png: return "libpng"
        case .jpeg: return "libjpeg"
        }
    }
}

/// Everything that can go wrong reading or writing an image. Every case carries the path of the file and what
/// was expected or found; `description` is one line a user reads, starting with the path, e.g.
/// `photo.png: corrupt PNG (libpng: IDAT: invalid distance too far back)`.
public enum ImageIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing at `path` (or a folder on the way is missing).
    case notFound(path: String)
    /// The file exists but the system would not let us read it (a folder, no permission, an I/O error).
    case unreadable(path: String, reason: String)
    /// The first bytes are no signature of `expected` (e.g. "PNG" or "PNG or JPEG"); `found` describes them.
    case notAnImage(path: String, expected: String, found: String)
    /// The file starts like `format` but the codec rejected its data; `message` is the codec's own words.
    case corrupt(path: String, format: ImageFormat, message: String)
    /// The header declares `width`x`height`, beyond `limit`. Refused before any pixel memory was allocated.
    case tooLarge(path: String, width: Int, height: Int, limit: ImageLimits)
    /// A well-formed file (or, when writing, data) using something this module does not handle.
    case unsupported(path: String, format: ImageFormat, what: String)
    /// Writing failed (missing folder, no permission, disk full, …). Any earlier file at `path` is unchanged.
    case unwritable(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .notFound(let path), .unreadable(let path, _), .notAnImage(let path, _, _), .corrupt(let path, _, _),
             .tooLarge(let path, _, _, _), .unsupported(let path, _, _), .unwritable(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path):
            return "\(path): no such file"
        case .unreadable(let path, let reason):
            return "\(path): cannot read (\(reason))"
        case .notAnImage(let path, let expected, let found):
            return "\(path): not a \(expected) image (\(found))"
        case .corrupt(let path, let format, let message):
            return "\(path): corrupt \(format.name) (\(format.codec): \(message))"
        case .tooLarge(let path, let width, let height, let limit):
            return "\(path): image too large (\(width)x\(height) pixels; the limit is \(limit))"
        case .unsupported(let path, let format, let what):
            return "\(path): unsupported \(format.name) (\(what))"
        case .unwritable(let path, let reason):
            return "\(path): cannot write (\(reason))"
        }
    }
}

/// The largest image the readers accept. The header is read first and a larger image refused with
/// ``ImageIOError/tooLarge(path:width:height:limit:)`` before any pixel buffer is allocated, so a hostile or
/// broken file cannot make the process allocate gigabytes.
public struct ImageLimits: Sendable, Equatable, CustomStringConvertible {
    /// Neither width nor height may exceed this.
    public var maxSide: Int
    /// `width * height` may not exceed this.
    public var maxPixels: Int

    public init(maxSide: Int, maxPixels: Int) {
        self.maxSide = maxSide
        self.maxPixels = maxPixels
    }

    /// The limits every reader applies unless given others: 32768 pixels per side and 2^28 = 268,435,456
    /// pixels ("256 megapixels", e.g. 16384x16384) in all. At that size a decoded RGBImage takes 768 MiB and a
    /// 16-bit RGBA `DecodedPNG` 2 GiB, which a 24 GiB machine survives; anything larger is almost certainly a
    /// mistake or an attack.
    public static let standard = ImageLimits(maxSide: 32_768, maxPixels: 1 << 28)

    /// Whether a `width`x`height` image is within the limits.
    public func admits(width: Int, height: Int) -> Bool {
        guard width <= maxSide, height <= maxSide else { return false }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        return !overflow && pixels <= maxPixels
    }

    public var description: String { "\(maxSide) per side and \(maxPixels) pixels in all" }
}
