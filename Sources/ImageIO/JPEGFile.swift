import CImageCodecs
import CJPEG
import Foundation

/// JPEG reading through libjpeg(-turbo), with the library's defaults: the accurate integer DCT (JDCT_ISLOW) and
/// fancy (smooth) chroma upsampling, so a file decodes to the same bytes as Pillow or scikit-image get from the
/// same libjpeg-turbo. Baseline and progressive; colour (YCbCr or RGB), grayscale and CMYK/YCCK.
public enum JPEGFile {
    /// Bytes a JPEG starts with: the SOI marker and the first byte of the next marker.
    public static let signature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// Reads a JPEG as 8-bit RGB. Grayscale is replicated to R = G = B. CMYK and YCCK (Adobe) JPEGs are converted
    /// with the naive formula Pillow uses, R = (255 − C)(255 − K)/255 rounded, taking Adobe files' inverted
    /// samples into account; no ICC profile is applied. A file whose data ends before the EOI marker is `corrupt`
    /// (libjpeg alone would pad it with gray; we stop decoding there); other libjpeg warnings (e.g. extraneous
    /// bytes) are tolerated.
    public static func readRGB(_ url: URL, limits: ImageLimits = .standard) throws -> RGBImage {
        try requireSignature(url)
        let path = url.path
        var err = mpx_error()
        var info = mpx_jpeg_info()
        let opened = mpx_jpeg_open(path, &info, &err)
        defer { mpx_jpeg_close(opened) }
        let width = Int(info.width), height = Int(info.height)
        // A failed open still reports the SOF's size when libjpeg refused it for exceeding its own 65500 limit;
        // any other failure (a cut SOF, say) may leave garbage there, so it is trusted only in that case.
        let sizeIsReal = opened != nil || (err.codec_code == Int32(JERR_IMAGE_TOO_BIG.rawValue) && err.truncated == 0)
        guard !sizeIsReal || limits.admits(width: width, height: height) else {
            throw ImageIOError.tooLarge(path: path, width: width, height: height, limit: limits)
        }
        guard let reader = opened else { throw error(err, path: path) }

        let outSpace: J_COLOR_SPACE
        switch J_COLOR_SPACE(UInt32(info.color_space)) {
        case JCS_GRAYSCALE, JCS_YCbCr, JCS_RGB: outSpace = JCS_RGB
        case JCS_CMYK, JCS_YCCK: outSpace = JCS_CMYK
        default:
            throw ImageIOError.unsupported(path: path, format: .jpeg,
                                           what: "colour space of \(info.components) components")
        }
        let components = outSpace == JCS_CMYK ? 4 : 3
        var decodedComponents: Int32 = 0
        var decoded = try [UInt8](unsafeUninitializedCapacity: width * height * components) { buffer, count in
            let status = mpx_jpeg_read(reader, Int32(outSpace.rawValue), buffer.baseAddress, buffer.count,
                                       width * components, &decodedComponents, &err)
            guard status == 0 else { throw error(err, path: path) }
            guard Int(decodedComponents) == components else {
                throw ImageIOError.unsupported(path: path, format: .jpeg,
                                               what: "decoded to \(decodedComponents) components")
            }
            count = width * height * components
        }
        if components == 4 {
            decoded = cmykToRGB(decoded, inverted: info.saw_adobe_marker != 0)
        }
        return RGBImage(width: width, height: height, pixels: decoded)
    }

    // MARK: - Internals

    static func requireSignature(_ url: URL) throws {
        let head = try FileAccess.leadingBytes(of: url)
        guard head.starts(with: signature) else {
            throw ImageIOError.notAnImage(path: url.path, expected: "JPEG", found: FileAccess.describeLeadingBytes(head))
        }
    }

    /// libjpeg's text for JWRN_JPEG_EOF.
    static let prematureEnd = "Premature end of JPEG file"

    /// libjpeg errors that mean "valid, but not something this build decodes" rather than "broken".
    private static let unsupportedCodes: Set<UInt32> = [
        JERR_BAD_PRECISION.rawValue, JERR_SOF_UNSUPPORTED.rawValue, JERR_CONVERSION_NOTIMPL.rawValue,
        JERR_NOT_COMPILED.rawValue, JERR_ARITH_NOTIMPL.rawValue, JERR_BAD_J_COLORSPACE.rawValue,
    ]

    private static func error(_ err: mpx_error, path: String) -> ImageIOError {
        if err.sys_errno == 0 && unsupportedCodes.contains(UInt32(err.codec_code)) {
            return .unsupported(path: path, format: .jpeg, what: "libjpeg: \(FileAccess.message(err))")
        }
        if err.sys_errno == 0 && err.truncated != 0 {
            return .corrupt(path: path, format: .jpeg, message: prematureEnd)
        }
        return FileAccess.codecReadError(err, path: path, format: .jpeg)
    }

    /// CMYK → RGB exactly as Pillow converts ("CMYK;I" unpacking, then `cmyk2rgb`): with c the ink amount,
    /// R = (255 − K) − round(c · (255 − K) / 255). Adobe files store 255 − ink.
    static func cmykToRGB(_ cmyk: [UInt8], inverted: Bool) -> [UInt8] {
        let pixelCount = cmyk.count / 4
        @inline(__always) func mulDiv255(_ a: Int, _ b: Int) -> Int {
            let t = a * b + 128
            return ((t >> 8) + t) >> 8
        }
        return [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { out, count in
            cmyk.withUnsafeBufferPointer { src in
                for i in 0..<pixelCount {
                    var ink = (Int(src[4 * i]), Int(src[4 * i + 1]), Int(src[4 * i + 2]), Int(src[4 * i + 3]))
                    if inverted { ink = (255 - ink.0, 255 - ink.1, 255 - ink.2, 255 - ink.3) }
                    let nk = 255 - ink.3
                    out[3 * i] = UInt8(clamping: nk - mulDiv255(ink.0, nk))
                    out[3 * i + 1] = UInt8(clamping: nk - mulDiv255(ink.1, nk))
                    out[3 * i + 2] = UInt8(clamping: nk - mulDiv255(ink.2, nk))
                }
            }
            count = pixelCount * 3
        }
    }
}
