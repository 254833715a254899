import Foundation

/// A minimal NumPy `.npy` (format 1.0) reader and writer for float32 masks, private to the studio (the Model
/// module has the full one). Writes little-endian `<f4`, C order; reads `<f4` and `<f8`, C order, any rank.
enum NPY {
    struct Array: Equatable {
        var shape: [Int]
        var values: [Float]
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // \x93NUMPY

    static func encode(values: [Float], shape: [Int]) -> Data {
        precondition(shape.reduce(1, *) == values.count, "NPY: \(values.count) values for shape \(shape)")
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        // Magic (6) + version (2) + header length (2) + header, padded with spaces and a newline to 64 bytes.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(header.data(using: .ascii)!)
        values.withUnsafeBufferPointer { buffer in
            for v in buffer {
                let bits = v.bitPattern.littleEndian
                withUnsafeBytes(of: bits) { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    static func decode(_ data: Data) throws -> Array {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Swift.Array(bytes[0..<6]) == magic else { throw StudioError.format(what: "npy", reason: "no NUMPY magic") }
        let major = bytes[6]
        let (headerLength, headerStart): (Int, Int) = major == 1
            ? (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
            : (Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24, 12)
        guard bytes.count >= headerStart + headerLength,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .ascii) else {
            throw StudioError.format(what: "npy", reason: "truncated header")
        }
        guard !header.contains("'fortran_order': True") else { throw StudioError.format(what: "npy", reason: "Fortran order") }
        let width: Int
        if header.contains("'<f4'") { width = 4 } else if header.contains("'<f8'") { width = 8 } else {
            throw StudioError.format(what: "npy", reason: "only little-endian float32/float64 masks are read")
        }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw StudioError.format(what: "npy", reason: "no shape")
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let body = headerStart + headerLength
        guard bytes.count >= body + count * width else { throw StudioError.format(what: "npy", reason: "truncated data") }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                if width == 4 {
                    values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: body + 4 * i, as: UInt32.self)))
                } else {
                    values[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: body + 8 * i, as: UInt64.self))))
                }
            }
        }
        return Array(shape: shape, values: values)
    }
}
