import Foundation
@testable import Model

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    expecting(CheckpointError.self) {
        let dict = try Safetensors.read(raw, file: "fuzz.safetensors")
        for name in dict.keys {
            let t = dict.tensors[name]!
            require(t.values.count == t.shape.reduce(1, *), "\(name): \(t.values.count) values for shape \(t.shape)")
        }
    }
    return 0
}
