import Foundation
@testable import Training

// The .h5 training-data reader (libhdf5 underneath): open, list and validate, then read every image it accepted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = fuzzFile(data, size, name: "fuzz.h5")
    expecting(TrainingError.self) {
        let file = try H5PairFile(url)
        require(file.count > 0 && file.clean.count == file.noisy.count, "\(file.clean.count) clean, \(file.noisy.count) noisy")
        for image in file.clean + file.noisy {
            require(image.width >= 1 && image.height >= 1 && image.width <= 32768 && image.height <= 32768,
                    "\(image.dataset): \(image.width)x\(image.height)")
            do {
                let rgb = try file.read(image)
                require(rgb.width == image.width && rgb.height == image.height, "\(image.dataset): read \(rgb.width)x\(rgb.height)")
            } catch is TrainingError {}
        }
    }
    return 0
}
