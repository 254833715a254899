// TEMPORARY: replaced by the checkpoint room's StateDict/StoredTensor when that branch lands.
public enum StoredDType: String, Sendable { case float32, int64 }

public struct StoredTensor: Sendable, Equatable {
    public var shape: [Int]
    public var dtype: StoredDType
    public var values: [Float]
    public init(shape: [Int], dtype: StoredDType = .float32, values: [Float]) {
        self.shape = shape; self.dtype = dtype; self.values = values
    }
}

public struct StateDict: Sendable {
    public var keys: [String] = []
    public var tensors: [String: StoredTensor] = [:]
    public init() {}
    public subscript(name: String) -> StoredTensor? {
        get { tensors[name] }
        set {
            if tensors[name] == nil, newValue != nil { keys.append(name) }
            if newValue == nil { keys.removeAll { $0 == name } }
            tensors[name] = newValue
        }
    }
}
