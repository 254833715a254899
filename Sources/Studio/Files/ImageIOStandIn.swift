import Foundation
import ImageIO

// TEMPORARY — stands in for the ImageIO room's API until its branch is merged; delete this whole file then.
//
// The studio calls `ImageFile.readRGB(_:)`, `PNGFile.writeGray(width:height:samples:bitDepth:text:to:)` and
// `PNGFile.read(_:) -> DecodedPNG` exactly as ImageIO will declare them. While these internal stand-ins exist they
// shadow ImageIO's (a module's own declarations win), so once ImageIO has the real ones this file must go, and the
// same calls then reach libpng / libjpeg through ImageIO. Until then: binary PPM (P6) images only, no PNG masks.

enum ImageFile {
    static func readRGB(_ url: URL) throws -> RGBImage {
        guard url.pathExtension.lowercased() == "ppm" else {
            throw StudioError.pendingImageIO(what: "reading \(url.lastPathComponent)")
        }
        return try readPPM(Data(contentsOf: url), path: url.path)
    }

    /// Binary PPM: `P6 <w> <h> <maxval>` then w·h RGB triples (maxval < 256), comments after `#`.
    static func readPPM(_ data: Data, path: String) throws -> RGBImage {
        let bytes = [UInt8](data)
        var i = 0
        func token() -> Int? {
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "#") { while i < bytes.count && bytes[i] != 10 { i += 1 } }
                else if bytes[i] == 32 || (9...13).contains(bytes[i]) { i += 1 } else { break }
            }
            var n = 0, digits = 0
            while i < bytes.count, (48...57).contains(bytes[i]) { n = n * 10 + Int(bytes[i] - 48); i += 1; digits += 1 }
            return digits > 0 ? n : nil
        }
        guard bytes.count > 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "6") else {
            throw StudioError.format(what: "PPM", reason: "\(path) is not binary PPM (P6)")
        }
        i = 2
        guard let w = token(), let h = token(), let maxval = token(), w > 0, h > 0, maxval < 256 else {
            throw StudioError.format(what: "PPM", reason: "\(path): bad header")
        }
        i += 1
        guard bytes.count >= i + w * h * 3 else { throw StudioError.format(what: "PPM", reason: "\(path): truncated") }
        return RGBImage(width: w, height: h, pixels: Array(bytes[i..<(i + w * h * 3)]))
    }
}

struct DecodedPNG {
    var width: Int
    var height: Int
    var channels: Int
    var bitDepth: Int
    var samples: [UInt16]
    var text: [String: String]
}

enum PNGFile {
    static func writeGray(width: Int, height: Int, samples: [UInt16], bitDepth: Int, text: [String: String], to url: URL) throws {
        throw StudioError.pendingImageIO(what: "writing the PNG mask \(url.lastPathComponent) (use .npy meanwhile)")
    }

    static func read(_ url: URL) throws -> DecodedPNG {
        throw StudioError.pendingImageIO(what: "reading the PNG mask \(url.lastPathComponent) (use .npy meanwhile)")
    }
}
