/// The tensors of a checkpoint by name, in the order the file listed them, plus optional metadata strings
/// (safetensors' `__metadata__`; empty for PyTorch files).
public struct StateDict: Sendable, Equatable {
    /// Tensor names in file order.
    public private(set) var keys: [String] = []
    /// Tensors by name.
    public private(set) var tensors: [String: StoredTensor] = [:]
    /// Free-form metadata strings, written to and read from safetensors' `__metadata__`.
    public var metadata: [String: String] = [:]

    public init() {}

    /// A state dict with `entries` in the given order; a repeated name keeps its first position and last tensor.
    public init(_ entries: [(String, StoredTensor)], metadata: [String: String] = [:]) {
        for (name, tensor) in entries { self[name] = tensor }
        self.metadata = metadata
    }

    /// The tensor called `name`. Setting a new name appends it; setting `nil` removes it.
    public subscript(name: String) -> StoredTensor? {
        get { tensors[name] }
        set {
            if let newValue {
                if tensors.updateValue(newValue, forKey: name) == nil { keys.append(name) }
            } else if tensors.removeValue(forKey: name) != nil {
                keys.removeAll { $0 == name }
            }
        }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// The tensors in file order.
    public var entries: [(name: String, tensor: StoredTensor)] {
        keys.map { ($0, tensors[$0]!) }
    }
}
