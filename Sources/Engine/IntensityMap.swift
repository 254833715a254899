/// A per-pixel intensity map: 0 keeps the source domain, 1 is the full translation, values in between
/// (and beyond) move monotonically along the way. Row-major, `width * height` values.
public struct IntensityMap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height, "IntensityMap: \(values.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// The same level everywhere.
    public init(width: Int, height: Int, constant level: Float) {
        self.init(width: width, height: height, values: [Float](repeating: level, count: width * height))
    }

    public subscript(x: Int, y: Int) -> Float {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }

    /// When every value is the same, that value: the engine then runs the cheaper scalar path.
    public var uniformLevel: Float? {
        guard let first = values.first else { return nil }
        return values.allSatisfy { $0 == first } ? first : nil
    }
}
