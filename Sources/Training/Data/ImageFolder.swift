import Foundation
import ImageIO
import Model

/// The images of one training folder (`DATAROOT/train{source_dataset}` or `train{target_dataset}`): every file
/// below it, in sorted order, whose extension the reference accepts (`data/image_folder.py`, IMG_EXTENSIONS) and
/// whose first bytes are a PNG or JPEG signature. Files that claim to be images but are not PNG or JPEG are skipped
/// and counted; so are files that later fail to decode (`markUnreadable`).
final class ImageFolder: @unchecked Sendable {
    let url: URL
    let role: String
    private(set) var files: [URL]
    /// Files skipped at scan time (not PNG/JPEG, unreadable header).
    let skippedAtScan: [String]
    private let lock = NSLock()
    private var unreadable: Set<Int> = []
    private var decodeFailures: [String] = []

    static let extensions: Set<String> = ["jpg", "jpeg", "png", "ppm", "bmp"]

    /// Lists the folder; throws when it is missing or has no readable image.
    init(_ url: URL, role: String) throws {
        self.url = url
        self.role = role
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainingError.missingFolder(path: url.path, role: role)
        }
        var found: [URL] = []
        var skipped: [String] = []
        let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey],
                                                        options: [.skipsHiddenFiles])
        var candidates: [URL] = []
        while let item = enumerator?.nextObject() as? URL {
            if Self.extensions.contains(item.pathExtension.lowercased()) { candidates.append(item) }
        }
        for file in candidates.sorted(by: { $0.path < $1.path }) {
            if (try? ImageFile.format(of: file)) != nil { found.append(file) } else { skipped.append(file.path) }
        }
        guard !found.isEmpty else { throw TrainingError.emptyFolder(path: url.path, role: role, skipped: skipped.count) }
        self.files = found
        self.skippedAtScan = skipped
    }

    var count: Int { files.count }

    /// Every file skipped so far, at scan time or because it failed to decode.
    var skipped: [String] {
        lock.lock(); defer { lock.unlock() }
        return skippedAtScan + decodeFailures
    }

    func isUsable(_ index: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return !unreadable.contains(index)
    }

    /// Decodes image `index`; on failure marks it unreadable (it is never drawn again) and returns nil.
    func read(_ index: Int) throws -> RGBImage? {
        do {
            return try ImageFile.readRGB(files[index])
        } catch {
            lock.lock()
            let fresh = unreadable.insert(index).inserted
            if fresh { decodeFailures.append(files[index].path) }
            let exhausted = unreadable.count == files.count
            lock.unlock()
            if exhausted { throw TrainingError.noReadableImages(path: url.path, skipped: skipped.count) }
            return nil
        }
    }

    /// For each of this folder's images, the index of the image under the same relative path in `other` (the
    /// photos `paired_target` names). Throws naming the first image without one.
    func counterparts(in other: ImageFolder) throws -> [Int] {
        func relative(_ file: URL, in folder: ImageFolder) -> String { String(file.path.dropFirst(folder.url.path.count)) }
        let index = Dictionary(other.files.enumerated().map { (relative($1, in: other), $0) }, uniquingKeysWith: { a, _ in a })
        return try files.map { file in
            let name = relative(file, in: self)
            guard let i = index[name] else {
                throw TrainingError.missingPair(path: file.path, expected: other.url.path + name)
            }
            return i
        }
    }

    /// A uniformly random index among the images not (yet) known to be unreadable.
    func randomIndex(_ rng: inout SplitMix64) -> Int {
        while true {
            let i = Int(rng.next() % UInt64(files.count))
            if isUsable(i) { return i }
        }
    }
}
