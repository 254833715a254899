/// The element type a tensor had in the file it came from. Values are always handed out as float32.
public enum StoredDType: String, Sendable, CaseIterable, Equatable {
    case float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool

    /// Bytes per element in the file.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// True for the floating-point types; integer counters and booleans are false.
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        default: return false
        }
    }
}

/// One tensor of a checkpoint: its shape, the element type the file stored, and its values as float32 in
/// C (row-major) order. Integer tensors such as BatchNorm's `num_batches_tracked` are converted too.
public struct StoredTensor: Sendable, Equatable {
    public var shape: [Int]
    public var dtype: StoredDType
    public var values: [Float]

    /// A tensor whose `values.count` must equal the product of `shape` (1 for a scalar, shape `[]`).
    public init(shape: [Int], dtype: StoredDType = .float32, values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "StoredTensor: negative dimension in \(shape)")
        precondition(values.count == shape.reduce(1, *), "StoredTensor: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.dtype = dtype
        self.values = values
    }

    /// The number of elements.
    public var count: Int { values.count }
}
