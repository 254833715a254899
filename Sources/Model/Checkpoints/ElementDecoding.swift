// Little-endian element decoding and encoding shared by every format. Bytes are read with `loadUnaligned`
// so storages at any offset (zip entries, legacy streams) decode without copying.

/// float16 bits to float32, exactly (subnormals, infinities and NaN included).
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        // Zero or subnormal: mantissa * 2^-24.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 0x1F {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// bfloat16 bits to float32 (the upper half of a float32).
@inline(__always)
func bfloat16ToFloat(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}

extension StoredDType {
    /// The element at `index` (in elements) of `bytes`, as float32. The caller has bounds-checked `index`.
    @inline(__always)
    func load(_ bytes: UnsafeRawBufferPointer, element index: Int) -> Float {
        let at = index &* byteSize
        switch self {
        case .float32: return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        case .float64: return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
        case .float16: return halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        case .bfloat16: return bfloat16ToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        case .int64: return Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self)))
        case .int32: return Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        case .int16: return Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int16.self)))
        case .int8: return Float(Int8(bitPattern: bytes[at]))
        case .uint8: return Float(bytes[at])
        case .bool: return bytes[at] != 0 ? 1 : 0
        }
    }
}

/// Appends `value` to `bytes` as little-endian.
@inline(__always)
func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

/// `values` as little-endian float32 bytes.
func float32Bytes(_ values: [Float]) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(values.count * 4)
    for v in values { appendLittleEndian(v.bitPattern, to: &out) }
    return out
}

/// `values` rounded to int64, as little-endian bytes (for integer counters; exact below 2^24).
func int64Bytes(_ values: [Float]) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(values.count * 8)
    for v in values {
        let i: Int64 = v.isFinite ? Int64(max(-9.2e18, min(9.2e18, v.rounded()))) : 0
        appendLittleEndian(i, to: &out)
    }
    return out
}
