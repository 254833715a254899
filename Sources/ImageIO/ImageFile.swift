import Foundation

/// The one entry point for "read whatever image this is".
public enum ImageFile {
    /// The format of the file at `url`, told by its first bytes (PNG signature or JPEG SOI marker), never by its
    /// extension. Throws `notFound`/`unreadable`, or `notAnImage` for anything else.
    public static func format(of url: URL) throws -> ImageFormat {
        let head = try FileAccess.leadingBytes(of: url)
        if head.starts(with: PNGFile.signature) { return .png }
        if head.starts(with: JPEGFile.signature) { return .jpeg }
        throw ImageIOError.notAnImage(path: url.path, expected: "PNG or JPEG",
                                      found: FileAccess.describeLeadingBytes(head))
    }

    /// Reads a PNG or JPEG as 8-bit RGB (see `PNGFile.readRGB` and `JPEGFile.readRGB`), choosing the decoder by the
    /// file's first bytes.
    public static func readRGB(_ url: URL, limits: ImageLimits = .standard) throws -> RGBImage {
        switch try format(of: url) {
        case .png: return try PNGFile.readRGB(url, limits: limits)
        case .jpeg: return try JPEGFile.readRGB(url, limits: limits)
        }
    }
}
