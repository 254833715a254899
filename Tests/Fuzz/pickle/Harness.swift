import Foundation
@testable import Model

// data.pkl of a zip .pth on its own: the restricted unpickler, the persistent-id decoding and the tensor plan,
// without the zip around it (so every mutation reaches the pickle).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    expecting(CheckpointError.self) {
        var position = 0
        let plan = try Unpickler.unpickle(raw, position: &position, file: "fuzz.pkl", section: "data.pkl",
                                          persistentLoad: { pid, field in
            .storage(try TorchTensors.storage(fromPersistentID: pid, legacy: false, file: "fuzz.pkl", field: field))
        }) { value in
            try TorchTensors.plan(from: value, file: "fuzz.pkl", section: "data.pkl")
        }
        require(position <= size, "position \(position) past \(size) bytes")
        _ = plan
    }
    return 0
}
