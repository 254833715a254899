// What the two PyTorch formats share: reading a persistent id into a `StorageRef`, walking the unpickled state
// dict into (name, TensorSpec) pairs, and rebuilding a tensor from (storage, offset, size, stride) with every
// claimed number checked against the bytes actually present before anything is allocated.

/// The tensors a torch pickle describes, before their storages are read.
struct TorchPlan {
    var tensors: [(name: String, spec: TensorSpec)] = []
    /// Non-tensor leaves of a training checkpoint (`epoch: 12`), kept as strings.
    var metadata: [String: String] = [:]
}

enum TorchTensors {
    /// Tensors a stride-0 (expanded) view may materialise beyond what its storage holds: 16 Mi elements (64 MiB).
    /// Anything else is bounded by the storage's bytes in the file.
    static let maxExpandedElements = 1 << 24

    /// A persistent id `('storage', storage_type, key, location, numel)` (zip format) or with a sixth element,
    /// `view_metadata`, which is `None` or `(view_key, offset, view_numel)` (legacy format).
    static func storage(fromPersistentID pid: PickleValue, legacy: Bool, file: String, field: String) throws -> StorageRef {
        let shape = legacy ? "('storage', type, key, location, numel, view_metadata)" : "('storage', type, key, location, numel)"
        guard case .tuple(let t) = pid, t.items.count == (legacy ? 6 : 5),
              case .string("storage") = t.items[0] else {
            throw CheckpointError.malformed(file: file, field: field, expected: "a persistent id \(shape)")
        }
        let a = t.items
        guard case .global(let typeName) = a[1] else {
            throw CheckpointError.malformed(file: file, field: field, expected: "a storage type in the persistent id")
        }
        guard let dtype = PickleGlobals.storageTypes[typeName] else {
            throw CheckpointError.unsupported(file: file, field: field, feature: "storage type \(typeName)")
        }
        guard case .string(let key) = a[2], case .string(let location) = a[3] else {
            throw CheckpointError.malformed(file: file, field: field, expected: "string key and location in \(shape)")
        }
        guard case .int(let numel) = a[4], numel >= 0, numel <= Int64(Int32.max) << 16 else {
            throw CheckpointError.malformed(file: file, field: field, expected: "a non-negative element count in \(shape)")
        }
        var ref = StorageRef(dtype: dtype, key: key, location: location, numel: Int(numel))
        if legacy, case .tuple(let view) = a[5] {
            guard view.items.count == 3, case .string(let viewKey) = view.items[0],
                  case .int(let offset) = view.items[1], case .int(let viewNumel) = view.items[2],
                  offset >= 0, viewNumel >= 0, offset <= numel, viewNumel <= numel - offset else {
                throw CheckpointError.malformed(
                    file: file, field: field,
                    expected: "view_metadata (key, offset, numel) inside the root storage of \(numel) elements")
            }
            _ = viewKey  // torch caches the view under this key; the root key and the range are what locate the bytes
            ref.viewOffset = Int(offset)
            ref.isView = true
            ref.viewNumel = Int(viewNumel)
        } else if legacy, case .none = a[5] {
        } else if legacy {
            throw CheckpointError.malformed(file: file, field: field, expected: "None or a tuple as view_metadata")
        }
        return ref
    }

    /// The state dict inside an unpickled value: a dict whose values are tensors. A training checkpoint
    /// (`{'model': OrderedDict, 'epoch': 3}`) is flattened with dotted names (`model.conv1.weight`); its
    /// int/float/str/bool leaves go to metadata; lists and other containers (optimizer state) are skipped.
    static func plan(from value: PickleValue, file: String, section: String) throws -> TorchPlan {
        guard case .dict(let root) = value else {
            throw CheckpointError.malformed(
                file: file, field: "\(section) top-level object",
                expected: "a dict or OrderedDict of tensors (found \(value.kindName))")
        }
        var plan = TorchPlan()
        var seen = Set<ObjectIdentifier>()
        var seenNames = Set<String>()
        func walk(_ dict: PickleDict, prefix: String, depth: Int) throws {
            guard depth <= 8, seen.insert(ObjectIdentifier(dict)).inserted else { return }
            for (key, value) in zip(dict.keys, dict.values) {
                let name: String
                switch key {
                case .string(let s): name = prefix + s
                case .int(let i): name = prefix + String(i)
                default:
                    throw CheckpointError.malformed(file: file, field: "\(section) key under '\(prefix)'",
                                                    expected: "string keys (found \(key.kindName))")
                }
                switch value {
                case .tensor(let spec):
                    guard seenNames.insert(name).inserted else { continue }
                    plan.tensors.append((name, spec))
                case .dict(let inner): try walk(inner, prefix: name + ".", depth: depth + 1)
                case .int(let i): plan.metadata[name] = String(i)
                case .float(let f): plan.metadata[name] = String(f)
                case .string(let s): plan.metadata[name] = s
                case .bool(let b): plan.metadata[name] = b ? "True" : "False"
                default: continue
                }
            }
        }
        try walk(root, prefix: "", depth: 0)
        return plan
    }

    /// `a * b` or nil on overflow.
    @inline(__always)
    static func mul(_ a: Int, _ b: Int) -> Int? {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : r
    }

    /// `a + b` or nil on overflow.
    @inline(__always)
    static func add(_ a: Int, _ b: Int) -> Int? {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : r
    }

    /// Rebuilds `spec` from `storageBytes`, the bytes of its root storage as present in the file, as a
    /// contiguous float32 tensor. Checks, before allocating: the storage's claimed element count fits in the
    /// bytes present; a legacy view fits in its root; the highest element the size/stride/offset reach is inside
    /// the storage; and the element count is no more than the storage holds (or, for an expanded view, no more
    /// than `maxExpandedElements`).
    static func materialize(_ spec: TensorSpec, name: String, storageBytes: UnsafeRawBufferPointer,
                            file: String) throws -> StoredTensor {
        let s = spec.storage
        let dtype = s.dtype
        func bad(_ expected: String) -> CheckpointError {
            .outOfBounds(file: file, tensor: name, expected: expected)
        }
        guard let claimedBytes = mul(s.numel, dtype.byteSize), claimedBytes <= storageBytes.count else {
            throw bad("its storage '\(s.key)' claims \(s.numel) \(dtype) elements, but the file holds \(storageBytes.count) bytes for it")
        }
        // The elements this tensor may address: the whole storage, or a legacy view's range of it.
        let base = s.isView ? s.viewOffset : 0
        let available = s.isView ? s.viewNumel : s.numel
        guard let end = add(base, available), end <= s.numel else {
            throw bad("a view of elements \(base)..<\(base + available) of a storage of \(s.numel)")
        }
        guard spec.size.count == spec.stride.count else {
            throw bad("as many strides as dimensions")
        }
        var count = 1
        for d in spec.size {
            guard let c = mul(count, d) else { throw bad("a size whose element count fits in memory (\(spec.size))") }
            count = c
        }
        if count == 0 {
            guard spec.offset <= available else {
                throw bad("storage offset \(spec.offset) within its storage of \(available) elements")
            }
            return StoredTensor(shape: spec.size, dtype: dtype, values: [])
        }
        // The highest element index the view reaches.
        var highest = spec.offset
        for (d, st) in zip(spec.size, spec.stride) {
            guard let span = mul(d - 1, st), let h = add(highest, span) else {
                throw bad("size \(spec.size) with stride \(spec.stride) within its storage of \(available) elements")
            }
            highest = h
        }
        guard highest < available else {
            throw bad("size \(spec.size), stride \(spec.stride), offset \(spec.offset) reach element \(highest), "
                + "but its storage '\(s.key)' holds \(available) \(dtype) elements")
        }
        guard count <= max(available, maxExpandedElements) else {
            throw CheckpointError.limitExceeded(
                file: file, field: "tensor \(name)",
                limit: "an expanded view of \(count) elements from \(available) stored (at most \(maxExpandedElements))")
        }

        let bytes = UnsafeRawBufferPointer(rebasing: storageBytes[(base * dtype.byteSize) ..< (end * dtype.byteSize)])
        let contiguous = isContiguous(size: spec.size, stride: spec.stride)
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            if contiguous {
                if dtype == .float32 {
                    var at = spec.offset * 4
                    for i in 0 ..< count {
                        out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                        at += 4
                    }
                } else {
                    for i in 0 ..< count { out[i] = dtype.load(bytes, element: spec.offset + i) }
                }
            } else {
                // An odometer over the dimensions, innermost fastest: C order.
                let rank = spec.size.count
                var index = [Int](repeating: 0, count: rank)
                var at = spec.offset
                let innerSize = spec.size[rank - 1], innerStride = spec.stride[rank - 1]
                var i = 0
                outer: while true {
                    var p = at
                    for _ in 0 ..< innerSize {
                        out[i] = dtype.load(bytes, element: p)
                        i += 1
                        p += innerStride
                    }
                    var dim = rank - 2
                    while dim >= 0 {
                        index[dim] += 1
                        at += spec.stride[dim]
                        if index[dim] < spec.size[dim] { continue outer }
                        at -= spec.stride[dim] * spec.size[dim]
                        index[dim] = 0
                        dim -= 1
                    }
                    break
                }
            }
            initialized = count
        }
        return StoredTensor(shape: spec.size, dtype: dtype, values: values)
    }

    /// True when the strides are C-contiguous (dimensions of size 1 may have any stride).
    static func isContiguous(size: [Int], stride: [Int]) -> Bool {
        var expected = 1
        for d in (0 ..< size.count).reversed() {
            if size[d] != 1 && stride[d] != expected { return false }
            expected *= size[d]
        }
        return true
    }
}
