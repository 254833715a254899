import Foundation
import Model

// A YAML run config, parsed by Yams and checked against the schema; then every typed accessor.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    expecting(ConfigError.self) {
        let config = try MonoPixConfig(yaml: text, source: "fuzz.yaml")
        _ = try config.with([:])
    }
    return 0
}
