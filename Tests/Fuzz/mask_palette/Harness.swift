import Engine
import Foundation

// The `--palette` legend of colour masks (`white=0.7,red=-0.5,*=-2`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    expecting(EngineError.self) {
        let palette = try MaskPalette(parsing: text)
        require(!palette.entries.isEmpty || palette.fallback != nil, "an empty palette was accepted")
        _ = palette.level(red: 255, green: 0, blue: 0)
    }
    return 0
}
