/// Emits the protocol-2 pickle `torch.save` writes for an OrderedDict of tensors, opcode for opcode, so that
/// `torch.load(weights_only=True)` accepts it: each tensor is `_rebuild_tensor_v2(persistent storage, 0, size,
/// stride, False, OrderedDict())` with a contiguous stride.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

    mutating func global(_ module: String, _ name: String) {
        bytes.append(0x63)  // GLOBAL
        bytes.append(contentsOf: Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A])
    }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        bytes.append(0x58)  // BINUNICODE
        appendLittleEndian(UInt32(utf8.count), to: &bytes)
        bytes.append(contentsOf: utf8)
    }

    mutating func int(_ v: Int) {
        switch v {
        case 0 ... 0xFF: bytes += [0x4B, UInt8(v)]  // BININT1
        case 0x100 ... 0xFFFF: bytes.append(0x4D); appendLittleEndian(UInt16(v), to: &bytes)  // BININT2
        case Int(Int32.min) ... Int(Int32.max): bytes.append(0x4A); appendLittleEndian(Int32(v), to: &bytes)  // BININT
        default: bytes += [0x8A, 8]; appendLittleEndian(Int64(v), to: &bytes)  // LONG1, 8 bytes
        }
    }

    mutating func tuple(_ items: [Int]) {
        switch items.count {
        case 0: bytes.append(0x29)  // EMPTY_TUPLE
        case 1 ... 3: items.forEach { int($0) }; bytes.append(0x84 + UInt8(items.count))  // TUPLE1..3
        default: bytes.append(0x28); items.forEach { int($0) }; bytes.append(0x74)  // MARK … TUPLE
        }
    }

    mutating func emptyOrderedDict() {
        global("collections", "OrderedDict")
        bytes += [0x29, 0x52]  // EMPTY_TUPLE, REDUCE
    }

    /// The pickle of an OrderedDict of tensors; storage `i` is the i-th entry of `tensors`.
    static func stateDict(_ tensors: [(name: String, shape: [Int], storageType: String, storageKey: String)]) -> [UInt8] {
        var w = PickleWriter()
        w.emptyOrderedDict()
        if !tensors.isEmpty { w.bytes.append(0x28) }  // MARK for SETITEMS
        for t in tensors {
            w.string(t.name)
            w.global("torch._utils", "_rebuild_tensor_v2")
            w.bytes += [0x28, 0x28]  // MARK (args), MARK (persistent id)
            w.string("storage")
            w.global("torch", t.storageType)
            w.string(t.storageKey)
            w.string("cpu")
            w.int(t.shape.reduce(1, *))
            w.bytes += [0x74, 0x51]  // TUPLE, BINPERSID
            w.int(0)  // storage offset
            w.tuple(t.shape)
            var strides = [Int](repeating: 1, count: t.shape.count)
            for d in stride(from: t.shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * t.shape[d + 1] }
            w.tuple(strides)
            w.bytes.append(0x89)  // NEWFALSE: requires_grad
            w.emptyOrderedDict()  // backward hooks
            w.bytes += [0x74, 0x52]  // TUPLE, REDUCE
        }
        if !tensors.isEmpty { w.bytes.append(0x75) }  // SETITEMS
        w.bytes.append(0x2E)  // STOP
        return w.bytes
    }
}
