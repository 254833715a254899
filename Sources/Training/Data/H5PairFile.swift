import CHDF5
import CHDF5Probe
import Foundation
import ImageIO

/// The clean and noisy SIDD crops of one HDF5 file, the noise model's training data (`h5file_path`, `train
/// --h5-file`), read through HDF5's C API, read-only.
///
/// Two layouts are read, told apart by the names of the root group's datasets:
///
/// - The reference's (MonoPix `data/noise_dataset.py`, `BenchmarkTrain`, on `aux_noise_utils.BaseDataSetH5`): root
///   datasets `clean_0` … `clean_{n-1}` and `noisy_0` … `noisy_{n-1}` (n = number of keys / 2), each uint8
///   H x W x 3 (RGB, HWC). A sample draws a clean index and a noisy index independently (unpaired: "dataset
///   mismatch"), concatenates the two on the channel axis (so they share H x W), crops `patchSize` x `patchSize` at
///   one random place in both, then `random_augmentation` gives each crop on its own, with probability 1/2, one of
///   the 7 non-identity flips/rotations (DANet's `data_augmentation` modes 1-7); `vary` is 0 in the noise config, so
///   no colour jitter. `fineSize`, `loadSize` and `resize_or_crop` play no part.
/// - DANet's own (`datasets/preparedata/SIDD_big2small_train.py`, which the reference's README points to): root
///   datasets `0` … `N-1`, each uint8 512 x 512 x 6, channels 0-2 the noisy crop and 3-5 the clean (ground-truth)
///   one, RGB. Here the clean images are the datasets' channels 3-5 and the noisy images their channels 0-2.
///
/// Domain A is the clean images and domain B the noisy ones (noise generation: the generator learns clean -> noisy,
/// as the folder layout trainA clean / trainB noisy does). Note: the reference's code, read literally, labels them
/// the other way round: its `crop_patch` (copied from DANet, whose layout puts noisy first) calls channels `:C` of
/// `concat(clean, noisy)` "noisy", so its sample 'A' holds the `noisy_*` crop. We follow the names of the datasets.
///
/// Everything is validated when the file is opened, before any pixel is read: every dataset used must be a rank-3
/// dataset of 8-bit unsigned integers with 3 (or, DANet, 6) channels, each side in 1...32768, at most 2^31 bytes,
/// a hard link to data stored in this file (no soft or external links, external raw-data files or virtual
/// datasets, which would read other files), with storage behind it (`H5Dget_storage_size`: no more than the file's size, and no less than 1/1100 of the
/// declared size, deflate's best ratio being about 1:1032), so a small hostile file cannot make us allocate
/// gigabytes. Every failure is a `TrainingError` naming the file and the dataset.
///
/// libhdf5 1.10 itself can crash on a damaged file's metadata (fuzzing found one in `H5Gget_info`), before any check
/// of ours: so the file's metadata is first walked in a child process (`monopix_hdf5_probe`: open, list, every
/// dataset's type, shape and storage size, which walks chunk indices), and a crash or a hang there is an error
/// naming the file. What `H5Dread` parses later (chunk data, filters) is not isolated.
///
/// The serial HDF5 library is not thread-safe: every call into it holds one process-wide lock.
public final class H5PairFile: @unchecked Sendable {
    /// One image: a dataset and where its 3 channels sit in it.
    public struct Image: Equatable, Sendable {
        public let dataset: String
        public let height: Int, width: Int
        /// 3, or 6 for DANet's noisy+clean datasets.
        public let channels: Int
        /// The first of the 3 RGB channels in the dataset.
        public let channelOffset: Int
    }

    public enum Layout: String, Sendable { case reference = "clean_*/noisy_*", danet = "DANet 0..N-1 (H x W x 6)" }

    public let url: URL
    public let layout: Layout
    /// Domain A (clean) and domain B (noisy), index-aligned (clean[i] and noisy[i] come from the same scene).
    public let clean: [Image], noisy: [Image]

    static let maxSide = 32768
    static let maxBytes = 1 << 31
    static let maxLinks = 1 << 22
    static let maxCompression = 1100
    static let probeTimeoutSeconds = 300

    private let file: hid_t
    private static let lock = NSLock()

    var path: String { url.path }

    /// Opens `url` read-only, lists its image pairs and validates every dataset they use.
    public init(_ url: URL) throws {
        self.url = url
        let path = url.path
        func fail(_ reason: String) -> TrainingError { .h5File(path: path, reason: reason) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw fail("no such file")
        }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        Self.lock.lock(); defer { Self.lock.unlock() }
        H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
        guard H5Fis_hdf5(path) > 0 else { throw fail("not an HDF5 file (no HDF5 signature, or the file is cut short)") }
        // libhdf5's own parsing is not safe on damaged files (docs/reliability.md, finding 9): its first walk over
        // the metadata runs in a child process, so that a crash there is reported instead of killing the run.
        var detail: Int32 = 0
        switch Int(monopix_hdf5_probe(path, Int32(Self.probeTimeoutSeconds * 1000), &detail)) {
        case Int(MONOPIX_HDF5_PROBE_CRASHED):
            throw fail("libhdf5 crashed reading its structure (\(detail > 0 ? "signal \(detail)" : "exit status \(-detail)")): the file is damaged or hostile")
        case Int(MONOPIX_HDF5_PROBE_TIMEOUT):
            throw fail("libhdf5 did not finish reading its structure in \(Self.probeTimeoutSeconds) s: the file is damaged or hostile")
        default: break  // ok; refused (the checks below name what is wrong); or no fork (then no isolation)
        }
        let file = H5Fopen(path, chdf5_acc_rdonly(), chdf5_fapl_default())
        guard file >= 0 else { throw fail("HDF5 cannot open it (damaged or truncated)") }
        var ok = false
        defer { if !ok { H5Fclose(file) } }

        // The root group's link names.
        var info = H5G_info_t()
        guard H5Gget_info(file, &info) >= 0 else { throw fail("cannot list the root group (damaged or truncated)") }
        guard info.nlinks <= UInt64(Self.maxLinks) else { throw fail("the root group has \(info.nlinks) entries; at most \(Self.maxLinks) are read") }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let n = H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, chdf5_fapl_default())
            guard n >= 0 else { throw fail("cannot read the name of root entry \(i) (damaged or truncated)") }
            guard n <= 1024 else { throw fail("root entry \(i) has a \(n)-byte name; at most 1024 are read") }
            var buffer = [CChar](repeating: 0, count: Int(n) + 1)
            guard H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, Int(n) + 1, chdf5_fapl_default()) >= 0 else {
                throw fail("cannot read the name of root entry \(i) (damaged or truncated)")
            }
            names.append(String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }

        func indices(_ prefix: String) -> [Int: String] {
            var out: [Int: String] = [:]
            for name in names where name.hasPrefix(prefix) {
                let digits = name.dropFirst(prefix.count)
                if !digits.isEmpty, digits.allSatisfy(\.isASCII), let i = Int(digits), i >= 0, String(i) == digits { out[i] = name }
            }
            return out
        }
        let cleanNames = indices("clean_"), noisyNames = indices("noisy_"), numbered = indices("")
        func check(_ dataset: String, channels: Int) throws -> (height: Int, width: Int) {
            try Self.validate(file: file, path: path, fileSize: fileSize, dataset: dataset, channels: channels)
        }
        var clean: [Image] = [], noisy: [Image] = []
        if !cleanNames.isEmpty || !noisyNames.isEmpty {
            layout = .reference
            let n = max(cleanNames.count, noisyNames.count)
            for i in 0..<n {
                for (kind, found) in [("clean", cleanNames), ("noisy", noisyNames)] {
                    let name = "\(kind)_\(i)"
                    guard found[i] != nil else {
                        throw TrainingError.h5Dataset(path: path, dataset: name, found: "missing",
                                                      expected: "clean_0…clean_\(n - 1) and noisy_0…noisy_\(n - 1) (one of each per image, the reference's layout)")
                    }
                    let (h, w) = try check(name, channels: 3)
                    let image = Image(dataset: name, height: h, width: w, channels: 3, channelOffset: 0)
                    if kind == "clean" { clean.append(image) } else { noisy.append(image) }
                }
            }
        } else if !numbered.isEmpty {
            layout = .danet
            for i in 0..<numbered.count {
                let name = "\(i)"
                guard numbered[i] != nil else {
                    throw TrainingError.h5Dataset(path: path, dataset: name, found: "missing",
                                                  expected: "datasets 0…\(numbered.count - 1) (DANet's layout)")
                }
                let (h, w) = try check(name, channels: 6)
                noisy.append(Image(dataset: name, height: h, width: w, channels: 6, channelOffset: 0))
                clean.append(Image(dataset: name, height: h, width: w, channels: 6, channelOffset: 3))
            }
        } else {
            throw fail("no image pairs: expected datasets clean_0…, noisy_0… (uint8 H x W x 3, the reference's layout) or 0, 1, … "
                       + "(uint8 H x W x 6, noisy then clean, DANet's SIDD_big2small_train.py); found "
                       + (names.isEmpty ? "an empty root group" : names.prefix(4).joined(separator: ", ") + (names.count > 4 ? ", …" : "")))
        }
        self.clean = clean
        self.noisy = noisy
        self.file = file
        ok = true
    }

    deinit {
        Self.lock.lock(); defer { Self.lock.unlock() }
        H5Fclose(file)
    }

    public var count: Int { clean.count }

    /// The smallest side of any image (the largest square crop every sample can take).
    public var smallestSide: (side: Int, dataset: String) {
        let all = clean + noisy
        let m = all.min { min($0.height, $0.width) < min($1.height, $1.width) }!
        return (min(m.height, m.width), m.dataset)
    }

    public func cleanImage(_ i: Int) throws -> RGBImage { try read(clean[i]) }
    public func noisyImage(_ i: Int) throws -> RGBImage { try read(noisy[i]) }

    /// Reads one image's pixels (the whole dataset, its 3 channels picked out).
    public func read(_ image: Image) throws -> RGBImage {
        let plane = image.height * image.width
        var raw = [UInt8](repeating: 0, count: plane * image.channels)
        try Self.lock.withLock {
            H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
            let ds = H5Dopen2(file, image.dataset, chdf5_fapl_default())
            guard ds >= 0 else { throw TrainingError.h5Dataset(path: path, dataset: image.dataset, found: "unreadable", expected: "a dataset HDF5 can open") }
            defer { H5Dclose(ds) }
            let status = raw.withUnsafeMutableBytes { H5Dread(ds, chdf5_native_uchar(), chdf5_s_all(), chdf5_s_all(), chdf5_fapl_default(), $0.baseAddress) }
            guard status >= 0 else {
                throw TrainingError.h5Dataset(path: path, dataset: image.dataset, found: "data HDF5 cannot read (damaged, truncated or an unknown filter)",
                                              expected: "\(image.height) x \(image.width) x \(image.channels) readable bytes")
            }
        }
        if image.channels == 3 { return RGBImage(width: image.width, height: image.height, pixels: raw) }
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        for p in 0..<plane {
            for c in 0..<3 { pixels[3 * p + c] = raw[image.channels * p + image.channelOffset + c] }
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// Checks one dataset's kind, type, shape and storage; returns its height and width. Caller holds the lock.
    private static func validate(file: hid_t, path: String, fileSize: Int, dataset: String, channels: Int) throws -> (height: Int, width: Int) {
        func bad(_ found: String, _ expected: String) -> TrainingError {
            .h5Dataset(path: path, dataset: dataset, found: found, expected: expected)
        }
        let shapeText = "H x W x \(channels)"
        // Only objects stored in this file: a soft or external link (another file, any path) is not followed.
        switch chdf5_is_hard_link(file, dataset) {
        case 1: break
        case 0: throw bad("a soft, external or user-defined link", "a dataset stored in this file (a hard link)")
        default: throw bad("a link HDF5 cannot read (damaged)", "a dataset stored in this file")
        }
        let ds = H5Dopen2(file, dataset, chdf5_fapl_default())
        guard ds >= 0 else { throw bad("not a dataset HDF5 can open (a group, a broken link or damaged)", "a uint8 \(shapeText) dataset") }
        defer { H5Dclose(ds) }

        let type = H5Dget_type(ds)
        guard type >= 0 else { throw bad("an unreadable datatype", "8-bit unsigned integers (uint8)") }
        let typeClass = H5Tget_class(type), size = H5Tget_size(type), sign = H5Tget_sign(type)
        H5Tclose(type)
        guard typeClass == H5T_INTEGER, size == 1, sign == H5T_SGN_NONE else {
            let found: String
            switch typeClass {
            case H5T_INTEGER: found = "\(size * 8)-bit \(sign == H5T_SGN_NONE ? "unsigned" : "signed") integers"
            case H5T_FLOAT: found = "\(size * 8)-bit floats"
            case H5T_STRING: found = "strings"
            case H5T_COMPOUND: found = "a compound type"
            default: found = "a datatype of class \(typeClass.rawValue), \(size) bytes"
            }
            throw bad(found, "8-bit unsigned integers (uint8)")
        }

        let space = H5Dget_space(ds)
        guard space >= 0 else { throw bad("an unreadable dataspace", "a \(shapeText) shape") }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw bad("an unreadable dataspace", "a \(shapeText) shape") }
        guard rank == 3 else {
            var dims = [hsize_t](repeating: 0, count: max(1, min(Int(rank), 32)))
            let shape = rank > 0 && rank <= 32 && H5Sget_simple_extent_dims(space, &dims, nil) >= 0
                ? dims.map(String.init).joined(separator: " x ") : "rank \(rank)"
            throw bad("shape \(rank == 0 ? "scalar" : shape) (rank \(rank))", "rank 3, \(shapeText)")
        }
        var dims = [hsize_t](repeating: 0, count: 3)
        guard H5Sget_simple_extent_dims(space, &dims, nil) == 3 else { throw bad("an unreadable shape", "rank 3, \(shapeText)") }
        let shape = dims.map(String.init).joined(separator: " x ")
        guard dims[2] == hsize_t(channels) else {
            throw bad("shape \(shape)", "\(shapeText) (\(channels) channels\(channels == 3 ? ", RGB" : ": noisy RGB then clean RGB"))")
        }
        guard (1...UInt64(maxSide)).contains(dims[0]), (1...UInt64(maxSide)).contains(dims[1]) else {
            throw bad("shape \(shape)", "each side between 1 and \(maxSide)")
        }
        let bytes = Int(dims[0]) * Int(dims[1]) * channels
        guard bytes <= maxBytes else { throw bad("shape \(shape) (\(bytes) bytes)", "at most \(maxBytes) bytes per dataset") }

        // Raw data in this file only: external raw-data files and virtual datasets would read other files' bytes
        // (any path the .h5 names) as pixels.
        let dcpl = H5Dget_create_plist(ds)
        guard dcpl >= 0 else { throw bad("an unreadable creation property list", "a dataset stored in this file") }
        let layout = H5Pget_layout(dcpl), externalFiles = H5Pget_external_count(dcpl)
        H5Pclose(dcpl)
        guard layout == H5D_CONTIGUOUS || layout == H5D_CHUNKED || layout == H5D_COMPACT else {
            throw bad(layout == H5D_VIRTUAL ? "a virtual dataset (its data lives in other files)" : "of storage layout \(layout.rawValue)",
                      "contiguous, chunked or compact storage in this file")
        }
        guard externalFiles == 0 else {
            throw bad("stored in \(externalFiles) external raw-data file(s)", "its data stored in this file")
        }
        let stored = Int(clamping: H5Dget_storage_size(ds))
        guard stored > 0 else { throw bad("shape \(shape) with no data stored", "the \(bytes) bytes its shape declares") }
        guard stored <= max(fileSize, 0) else {
            throw bad("\(stored) bytes of storage in a \(fileSize)-byte file", "storage within the file (truncated?)")
        }
        guard bytes <= stored * maxCompression else {
            throw bad("shape \(shape) (\(bytes) bytes) behind only \(stored) stored bytes",
                      "at least 1/\(maxCompression) of the declared size stored (deflate's best ratio)")
        }
        return (Int(dims[0]), Int(dims[1]))
    }
}
