import Foundation

// A restricted unpickler: it reads the opcodes `torch.save` emits for a state dict (protocols 2 to 5) into
// `PickleValue`s and executes nothing. Globals are checked against an allow-list the moment they are named;
// the few allowed callables (OrderedDict, the tensor and parameter rebuilders) are interpreted here, and
// persistent ids (storages) are handed to the caller's `persistentLoad`.

/// A torch storage named by a persistent id: `('storage', storage_type, key, location, numel[, view_metadata])`.
struct StorageRef: Equatable {
    var dtype: StoredDType
    /// The root storage's key: `data/<key>` in a zip, a key of the storage list in the legacy format.
    var key: String
    var location: String
    /// Elements the root storage claims to hold (in `dtype` units).
    var numel: Int
    /// Legacy format only: the tensor sees `viewNumel` elements of the root storage from `viewOffset` on.
    var isView = false
    var viewOffset = 0
    var viewNumel = 0
}

/// What `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)` describes.
struct TensorSpec: Equatable {
    var storage: StorageRef
    var offset: Int
    var size: [Int]
    var stride: [Int]
}

/// A list, tuple or set's items. A class so that memo references and the stack see the same object, as in Python.
final class PickleSequence {
    var items: [PickleValue]
    var depth: Int
    init(_ items: [PickleValue] = [], depth: Int = 1) { self.items = items; self.depth = depth }
}

/// A dict or OrderedDict: insertion-ordered pairs; a string key set twice keeps its first position.
final class PickleDict {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var stringIndex: [String: Int] = [:]
    var depth = 1
    /// `__dict__` state given by BUILD (an OrderedDict's `_metadata`); kept, never interpreted.
    var state: PickleValue?

    func set(_ key: PickleValue, _ value: PickleValue) {
        if case .string(let s) = key {
            if let i = stringIndex[s] { values[i] = value; return }
            stringIndex[s] = keys.count
        }
        keys.append(key)
        values.append(value)
    }

    func clear() { keys = []; values = []; stringIndex = [:]; state = nil }
}

indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer wider than 64 bits (LONG1/LONG4), as little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleSequence)
    case list(PickleSequence)
    case dict(PickleDict)
    /// An allow-listed global, not yet called: `module.name`.
    case global(String)
    case storage(StorageRef)
    case tensor(TensorSpec)

    /// The Python type name, for errors.
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let name): return name
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }

    var depth: Int {
        switch self {
        case .tuple(let s), .list(let s): return s.depth
        case .dict(let d): return d.depth
        default: return 0
        }
    }
}

/// The allow-list: the only globals a state-dict pickle may name.
enum PickleGlobals {
    static let orderedDict = "collections.OrderedDict"
    static let rebuildTensorV2 = "torch._utils._rebuild_tensor_v2"
    static let rebuildParameter = "torch._utils._rebuild_parameter"
    static let rebuildParameterWithState = "torch._utils._rebuild_parameter_with_state"

    static let storageTypes: [String: StoredDType] = [
        "torch.FloatStorage": .float32, "torch.DoubleStorage": .float64, "torch.HalfStorage": .float16,
        "torch.BFloat16Storage": .bfloat16, "torch.LongStorage": .int64, "torch.IntStorage": .int32,
        "torch.ShortStorage": .int16, "torch.CharStorage": .int8, "torch.ByteStorage": .uint8,
        "torch.BoolStorage": .bool,
    ]

    static func isAllowed(_ name: String) -> Bool {
        name == orderedDict || name == rebuildTensorV2 || name == rebuildParameter
            || name == rebuildParameterWithState || storageTypes[name] != nil
    }
}

/// Safety limits. A real state dict stays far below each; a crafted file hits one and gets an error.
struct PickleLimits {
    var maxOpcodes = 64 << 20
    var maxStack = 4 << 20
    var maxMarkDepth = 10_000
    var maxMemo = 4 << 20
    var maxNesting = 100
    var maxBigIntBytes = 64
    var maxDims = 64
}

struct Unpickler {
    private var reader: ByteReader
    /// Which pickle of the file this is, for errors: `data.pkl`, `main pickle`…
    private let section: String
    private let limits: PickleLimits
    private let persistentLoad: ((PickleValue, String) throws -> PickleValue)?

    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [UInt32: PickleValue] = [:]
    /// Every container made, so `unpickle` can break reference cycles and deep chains when done.
    private var containers: [AnyObject] = []
    private var opcodeStart = 0
    private var opcode: UInt8 = 0

    private let file: String
    private var here: String {
        "\(section) opcode 0x\(String(opcode, radix: 16, uppercase: false).leftPadded(2)) at byte \(opcodeStart)"
    }

    /// Reads one pickle from `bytes` starting at `position`, then runs `body` on the result while every container
    /// is alive, then empties them all (so cycles a crafted pickle made are broken and nothing deinits deeply).
    /// `position` is left just past STOP.
    static func unpickle<R>(
        _ bytes: UnsafeRawBufferPointer, position: inout Int, file: String, section: String,
        limits: PickleLimits = PickleLimits(),
        persistentLoad: ((PickleValue, String) throws -> PickleValue)? = nil,
        _ body: (PickleValue) throws -> R
    ) throws -> R {
        var u = Unpickler(reader: ByteReader(bytes, file: file, position: position), section: section,
                          limits: limits, persistentLoad: persistentLoad)
        defer { u.releaseContainers() }
        let value = try u.run()
        position = u.reader.position
        return try body(value)
    }

    private init(reader: ByteReader, section: String, limits: PickleLimits,
                 persistentLoad: ((PickleValue, String) throws -> PickleValue)?) {
        self.reader = reader
        self.file = reader.file
        self.section = section
        self.limits = limits
        self.persistentLoad = persistentLoad
    }

    private mutating func releaseContainers() {
        stack = []
        memo = [:]
        for c in containers {
            if let s = c as? PickleSequence { s.items = [] } else if let d = c as? PickleDict { d.clear() }
        }
        containers = []
    }

    // MARK: errors

    private func malformed(_ expected: String) -> CheckpointError {
        .malformed(file: file, field: here, expected: expected)
    }

    private func limit(_ what: String) -> CheckpointError {
        .limitExceeded(file: file, field: here, limit: what)
    }

    // MARK: stack

    private mutating func push(_ v: PickleValue) throws {
        guard stack.count < limits.maxStack else { throw limit("at most \(limits.maxStack) values on the stack") }
        if v.depth > limits.maxNesting { throw limit("containers nested at most \(limits.maxNesting) deep") }
        stack.append(v)
    }

    private mutating func pop() throws -> PickleValue {
        if let floor = marks.last, stack.count <= floor { throw malformed("a value above the last MARK") }
        guard let v = stack.popLast() else { throw malformed("a value on the stack (it is empty)") }
        return v
    }

    private func top() throws -> PickleValue {
        if let floor = marks.last, stack.count <= floor { throw malformed("a value above the last MARK") }
        guard let v = stack.last else { throw malformed("a value on the stack (it is empty)") }
        return v
    }

    /// The values pushed since the last MARK, removing them and the mark.
    private mutating func popMark() throws -> [PickleValue] {
        guard let floor = marks.popLast() else { throw malformed("a MARK before this opcode") }
        let items = Array(stack[floor...])
        stack.removeSubrange(floor...)
        return items
    }

    private mutating func sequence(_ items: [PickleValue]) -> PickleSequence {
        let s = PickleSequence(items, depth: 1 + (items.map(\.depth).max() ?? 0))
        containers.append(s)
        return s
    }

    private mutating func newDict() -> PickleDict {
        let d = PickleDict()
        containers.append(d)
        return d
    }

    private mutating func memoize(_ index: UInt32) throws {
        let v = try top()
        if memo[index] == nil, memo.count >= limits.maxMemo { throw limit("at most \(limits.maxMemo) memo entries") }
        memo[index] = v
    }

    private mutating func recall(_ index: UInt32) throws {
        guard let v = memo[index] else { throw malformed("memo entry \(index) to have been stored") }
        try push(v)
    }

    // MARK: operand reads (checked here so errors name the opcode)

    private func need(_ count: Int, _ what: String) throws {
        if count < 0 || count > reader.remaining {
            throw CheckpointError.truncated(file: file, field: "\(here): \(what)", needed: count, available: reader.remaining)
        }
    }
    private mutating func u8(_ what: String) throws -> UInt8 { try need(1, what); return try reader.u8("") }
    private mutating func integer<T: FixedWidthInteger>(_ t: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what); return try reader.integer(t, "")
    }
    private mutating func slice(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer { try need(n, what); return try reader.slice(n, "") }
    private mutating func array(_ n: Int, _ what: String) throws -> [UInt8] { try need(n, what); return try reader.array(n, "") }
    private mutating func length64(_ what: String) throws -> Int {
        let raw = try integer(UInt64.self, what)
        guard raw <= UInt64(Int32.max) << 24 else {
            throw CheckpointError.truncated(file: file, field: "\(here): \(what)", needed: Int.max, available: reader.remaining)
        }
        return Int(raw)
    }

    // MARK: reading operands

    private mutating func string(length: Int) throws -> String {
        let raw = try slice(length, "string of \(length) bytes")
        guard let s = String(bytes: raw, encoding: .utf8) else { throw malformed("UTF-8 text") }
        return s
    }

    /// A newline-terminated ASCII line (GLOBAL's operands), at most 256 bytes.
    private mutating func line() throws -> String {
        var bytes: [UInt8] = []
        while true {
            let b = try u8("newline-terminated name")
            if b == 0x0A { break }
            bytes.append(b)
            if bytes.count > 256 { throw limit("global names of at most 256 bytes") }
        }
        guard let s = String(bytes: bytes, encoding: .utf8) else { throw malformed("an ASCII name") }
        return s
    }

    private mutating func long(byteCount n: Int) throws -> PickleValue {
        guard n <= limits.maxBigIntBytes else { throw limit("integers of at most \(limits.maxBigIntBytes) bytes") }
        let bytes = try array(n, "\(n)-byte integer")
        if n == 0 { return .int(0) }
        if n > 8 { return .bigInt(bytes) }
        var value: UInt64 = 0
        for (i, b) in bytes.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        if n < 8, bytes[n - 1] & 0x80 != 0 { value |= ~UInt64(0) << (8 * UInt64(n)) }  // sign-extend
        return .int(Int64(bitPattern: value))
    }

    private mutating func global(_ module: String, _ name: String) throws -> PickleValue {
        let full = "\(module).\(name)"
        guard PickleGlobals.isAllowed(full) else {
            throw CheckpointError.forbiddenGlobal(file: file, field: here, global: full)
        }
        return .global(full)
    }

    // MARK: the loop

    private mutating func run() throws -> PickleValue {
        var count = 0
        while true {
            count += 1
            if count > limits.maxOpcodes { throw limit("at most \(limits.maxOpcodes) opcodes") }
            opcodeStart = reader.position
            guard !reader.isAtEnd else {
                throw CheckpointError.truncated(file: file, field: "\(section): opcode at byte \(reader.position) (no STOP yet)",
                                                needed: 1, available: 0)
            }
            opcode = try reader.u8("")
            switch opcode {
            case 0x80:  // PROTO
                let version = try u8("protocol")
                guard (2 ... 5).contains(version) else {
                    throw CheckpointError.unsupported(file: file, field: here, feature: "pickle protocol \(version)")
                }
            case 0x95:  // FRAME: a length prefix for the opcodes that follow; they are read inline.
                let length = try length64("frame length")
                try need(length, "frame of \(length) bytes")
            case 0x2E:  // STOP
                let v = try pop()
                guard stack.isEmpty, marks.isEmpty else { throw malformed("an empty stack at STOP") }
                return v

            case 0x4E: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4A: try push(.int(Int64(try integer(Int32.self, "BININT"))))
            case 0x4B: try push(.int(Int64(try u8("BININT1"))))
            case 0x4D: try push(.int(Int64(try integer(UInt16.self, "BININT2"))))
            case 0x8A:  // LONG1
                let n = Int(try u8("LONG1 length"))
                try push(try long(byteCount: n))
            case 0x8B:  // LONG4
                let n = Int(try integer(Int32.self, "LONG4 length"))
                guard n >= 0 else { throw malformed("a non-negative LONG4 length") }
                try push(try long(byteCount: n))
            case 0x47:  // BINFLOAT, big-endian
                let bits = UInt64(bigEndian: UInt64(littleEndian: try integer(UInt64.self, "BINFLOAT")))
                try push(.float(Double(bitPattern: bits)))

            case 0x58:  // BINUNICODE
                let n = Int(try integer(UInt32.self, "string length"))
                try push(.string(try string(length: n)))
            case 0x8C:  // SHORT_BINUNICODE
                let n = Int(try u8("string length"))
                try push(.string(try string(length: n)))
            case 0x8D:  // BINUNICODE8
                let n = try length64("string length")
                try push(.string(try string(length: n)))
            case 0x43:  // SHORT_BINBYTES
                let n = Int(try u8("bytes length"))
                try push(.bytes(try array(n, "bytes of \(n)")))
            case 0x42:  // BINBYTES
                let n = Int(try integer(UInt32.self, "bytes length"))
                try push(.bytes(try array(n, "bytes of \(n)")))
            case 0x8E:  // BINBYTES8
                let n = try length64("bytes length")
                try push(.bytes(try array(n, "bytes of \(n)")))

            case 0x7D: try push(.dict(newDict()))  // EMPTY_DICT
            case 0x5D: try push(.list(sequence([])))  // EMPTY_LIST
            case 0x29: try push(.tuple(sequence([])))  // EMPTY_TUPLE
            case 0x8F: try push(.list(sequence([])))  // EMPTY_SET (kept as a list)
            case 0x28:  // MARK
                guard marks.count < limits.maxMarkDepth else { throw limit("MARKs nested at most \(limits.maxMarkDepth) deep") }
                marks.append(stack.count)
            case 0x74:  // TUPLE
                let items = try popMark()
                try push(.tuple(sequence(items)))
            case 0x85, 0x86, 0x87:  // TUPLE1..3
                var items = [PickleValue]()
                for _ in 0 ..< Int(opcode - 0x84) { items.append(try pop()) }
                try push(.tuple(sequence(items.reversed())))
            case 0x91:  // FROZENSET
                let items = try popMark()
                try push(.list(sequence(items)))

            case 0x71: try memoize(UInt32(try u8("memo index")))  // BINPUT
            case 0x72: try memoize(try integer(UInt32.self, "memo index"))  // LONG_BINPUT
            case 0x94:  // MEMOIZE
                guard memo.count < UInt32.max else { throw limit("memo full") }
                try memoize(UInt32(memo.count))
            case 0x68: try recall(UInt32(try u8("memo index")))  // BINGET
            case 0x6A: try recall(try integer(UInt32.self, "memo index"))  // LONG_BINGET

            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: try push(try top())  // DUP

            case 0x63:  // GLOBAL
                let module = try line()
                let name = try line()
                try push(try global(module, name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                guard case .string(let m) = module, case .string(let n) = name else {
                    throw malformed("two strings (module, name) for STACK_GLOBAL")
                }
                try push(try global(m, n))

            case 0x51:  // BINPERSID
                let pid = try pop()
                guard let persistentLoad else { throw malformed("no persistent id in this pickle (found one)") }
                try push(try persistentLoad(pid, here))
            case 0x52:  // REDUCE
                let args = try pop()
                let callable = try pop()
                try push(try reduce(callable, args))
            case 0x81:  // NEWOBJ: cls.__new__(cls, *args); only OrderedDict() is meaningful here
                let args = try pop()
                let cls = try pop()
                guard case .global(PickleGlobals.orderedDict) = cls, case .tuple(let a) = args, a.items.isEmpty else {
                    throw malformed("NEWOBJ only for OrderedDict() (found \(cls.kindName))")
                }
                try push(.dict(newDict()))
            case 0x62:  // BUILD: sets an object's __dict__; only a dict's (an OrderedDict's `_metadata`) is accepted
                let state = try pop()
                guard case .dict(let d) = try top() else {
                    throw malformed("BUILD only on a dict (found \(try top().kindName))")
                }
                d.state = state

            case 0x73:  // SETITEM
                let value = try pop()
                let key = try pop()
                guard case .dict(let d) = try top() else { throw malformed("a dict under SETITEM") }
                d.set(key, value)
                d.depth = max(d.depth, 1 + max(key.depth, value.depth))
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard case .dict(let d) = try top() else { throw malformed("a dict under SETITEMS") }
                guard items.count % 2 == 0 else { throw malformed("key/value pairs for SETITEMS") }
                for i in stride(from: 0, to: items.count, by: 2) {
                    d.set(items[i], items[i + 1])
                    d.depth = max(d.depth, 1 + max(items[i].depth, items[i + 1].depth))
                }
                if d.depth > limits.maxNesting { throw limit("containers nested at most \(limits.maxNesting) deep") }
            case 0x61:  // APPEND
                let value = try pop()
                guard case .list(let l) = try top() else { throw malformed("a list under APPEND") }
                l.items.append(value)
                l.depth = max(l.depth, 1 + value.depth)
                if l.depth > limits.maxNesting { throw limit("containers nested at most \(limits.maxNesting) deep") }
            case 0x65, 0x90:  // APPENDS, ADDITEMS
                let items = try popMark()
                guard case .list(let l) = try top() else { throw malformed("a list under APPENDS") }
                l.items.append(contentsOf: items)
                l.depth = max(l.depth, 1 + (items.map(\.depth).max() ?? 0))
                if l.depth > limits.maxNesting { throw limit("containers nested at most \(limits.maxNesting) deep") }

            default:
                throw CheckpointError.unsupported(
                    file: file, field: here,
                    feature: "pickle opcode 0x\(String(opcode, radix: 16).leftPadded(2)) (not one torch.save emits for a state dict)")
            }
        }
    }

    // MARK: the allowed calls

    private mutating func reduce(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let name) = callable else { throw malformed("an allowed global to call (found \(callable.kindName))") }
        guard case .tuple(let argTuple) = args else { throw malformed("an argument tuple for \(name)") }
        let a = argTuple.items
        switch name {
        case PickleGlobals.orderedDict:
            guard a.isEmpty else { throw malformed("OrderedDict() without arguments") }
            return .dict(newDict())
        case PickleGlobals.rebuildTensorV2:
            guard a.count == 6 || a.count == 7 else { throw malformed("6 or 7 arguments to _rebuild_tensor_v2 (found \(a.count))") }
            guard case .storage(let storage) = a[0] else { throw malformed("a storage as _rebuild_tensor_v2's first argument") }
            guard case .int(let offset) = a[1], offset >= 0, offset <= Int64(Int32.max) << 16 else {
                throw malformed("a non-negative storage offset")
            }
            let size = try intTuple(a[2], "size")
            let stride = try intTuple(a[3], "stride")
            guard size.count == stride.count else { throw malformed("as many strides as dimensions (\(size.count) vs \(stride.count))") }
            return .tensor(TensorSpec(storage: storage, offset: Int(offset), size: size, stride: stride))
        case PickleGlobals.rebuildParameter, PickleGlobals.rebuildParameterWithState:
            guard a.count == (name == PickleGlobals.rebuildParameter ? 3 : 4), case .tensor = a[0] else {
                throw malformed("(tensor, requires_grad, hooks\(name == PickleGlobals.rebuildParameter ? "" : ", state")) for \(name)")
            }
            return a[0]
        default:
            throw malformed("\(name) only inside a persistent id, not called")
        }
    }

    /// A tuple of non-negative ints small enough that products over them are checked later without overflow.
    private func intTuple(_ v: PickleValue, _ what: String) throws -> [Int] {
        guard case .tuple(let t) = v else { throw malformed("a tuple of ints for the tensor \(what)") }
        guard t.items.count <= limits.maxDims else { throw limit("tensors of at most \(limits.maxDims) dimensions") }
        return try t.items.map {
            guard case .int(let i) = $0, i >= 0, i <= Int64(Int32.max) << 16 else {
                throw malformed("non-negative ints for the tensor \(what)")
            }
            return Int(i)
        }
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
