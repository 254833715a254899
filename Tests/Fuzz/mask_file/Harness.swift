import Engine
import Foundation
import ImageIO
import Model

// A mask file as `monopix predict --mask` and the studio read it. The first byte picks the kind (.npy, gray
// PNG, colour PNG with a palette), the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let kind = data[0] % 3
    let url = fuzzFile(data + 1, size - 1, name: kind == 0 ? "mask.npy" : "mask.png")
    let palette = kind == 2 ? try! MaskPalette(parsing: "white=0.7,red=-0.5,*=-2") : nil
    do {
        let map = try IntensityMap(contentsOf: url, palette: palette, defaultRange: -1...1)
        require(map.width >= 0 && map.height >= 0 && map.values.count == map.width * map.height,
                "\(map.values.count) values for \(map.width)x\(map.height)")
        _ = map.pngSamples(range: -1...1)
    } catch is EngineError {} catch is CheckpointError {} catch is ImageIOError {} catch {
        fatalError("unexpected error \(type(of: error)): \(error)")
    }
    return 0
}
