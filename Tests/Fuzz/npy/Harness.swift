import Foundation
@testable import Model

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    expecting(CheckpointError.self) {
        let a = try NumpyArray.decode(raw, file: "fuzz.npy")
        require(a.values.count == a.shape.reduce(1, *), "\(a.values.count) values for shape \(a.shape)")
    }
    return 0
}
