import Foundation
import ImageIO

// Both PNG readers: lossless (every depth, text chunks) and 8-bit RGB.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = fuzzFile(data, size, name: "fuzz.png")
    expecting(ImageIOError.self) {
        let png = try PNGFile.read(url)
        require(png.samples.count == png.width * png.height * png.channels, "\(png.samples.count) samples")
    }
    expecting(ImageIOError.self) {
        let rgb = try PNGFile.readRGB(url)
        require(rgb.pixels.count == rgb.width * rgb.height * 3, "\(rgb.pixels.count) bytes")
    }
    return 0
}
