import Foundation
import Model

// A zip .pth through the public loader (ZipPreflight, ZIPFoundation, the pickle, the storages).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = fuzzFile(data, size, name: "fuzz.pth")
    expecting(CheckpointError.self) {
        let dict = try StateDict.load(contentsOf: url)
        for name in dict.keys {
            let t = dict.tensors[name]!
            require(t.values.count == t.shape.reduce(1, *), "\(name): \(t.values.count) values for shape \(t.shape)")
        }
    }
    return 0
}
