import Foundation
import ImageIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = fuzzFile(data, size, name: "fuzz.jpg")
    expecting(ImageIOError.self) {
        let rgb = try JPEGFile.readRGB(url)
        require(rgb.pixels.count == rgb.width * rgb.height * 3, "\(rgb.pixels.count) bytes")
    }
    return 0
}
