import Foundation

/// The images the studio opens: every PNG/JPEG of a folder sorted by name; a single file opens its folder at that
/// file; several files are taken as given.
enum ImageFolder {
    static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    static func isImage(_ name: String) -> Bool {
        !name.hasPrefix(".") && extensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// The images, the one to start with, and the folder the session belongs to (the first path's).
    static func images(for paths: [URL]) throws -> (images: [URL], start: Int, folder: URL) {
        let fm = FileManager.default
        func isDirectory(_ url: URL) throws -> Bool {
            var flag: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &flag) else {
                throw StudioError.io(path: url.path, reason: "no such file or folder")
            }
            return flag.boolValue
        }
        func list(_ folder: URL) throws -> [URL] {
            try fm.contentsOfDirectory(atPath: folder.path).filter(isImage)
                .sorted { $0.localizedStandardCompare($1) == .orderedAscending }
                .map { folder.appendingPathComponent($0) }
        }
        guard let first = paths.first else { throw StudioError.noImages(path: ".") }
        if paths.count == 1 {
            if try isDirectory(first) {
                let found = try list(first)
                guard !found.isEmpty else { throw StudioError.noImages(path: first.path) }
                return (found, 0, first)
            }
            let folder = first.deletingLastPathComponent()
            let found = (try? list(folder)) ?? []
            if let i = found.firstIndex(where: { $0.standardizedFileURL == first.standardizedFileURL }) {
                return (found, i, folder)
            }
            return ([first], 0, folder)
        }
        var found: [URL] = []
        for path in paths {
            found += try isDirectory(path) ? list(path) : [path]
        }
        guard !found.isEmpty else { throw StudioError.noImages(path: paths.map(\.path).joined(separator: ", ")) }
        return (found, 0, try isDirectory(first) ? first : first.deletingLastPathComponent())
    }
}
