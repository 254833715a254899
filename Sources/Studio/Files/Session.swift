import AtomicFiles
import Engine
import Foundation
import Model

/// The studio-wide part of a session: the view and the painting tools.
struct SessionSettings: Codable, Equatable, Sendable {
    var viewMode: ViewMode
    var overlayOpacity: Float
    var brush: BrushSettings
    var primaryValue: Float
    var secondaryValue: Float
}

/// What the session file says (masks live beside it, one `.npy` per image).
struct SessionFile: Codable, Equatable, Sendable {
    struct Entry: Codable, Equatable, Sendable {
        var name: String
        var level: Float
        var transform: ViewTransform
        /// The file of the painted layer (NaN = unpainted), relative to the session directory; nil when blank.
        var mask: String?
    }

    static let currentVersion = 1

    var version = SessionFile.currentVersion
    var current: String?
    var settings: SessionSettings
    var images: [Entry]
}

/// A document's part of a session save.
struct DocumentSnapshot: Sendable {
    enum Mask: Sendable {
        /// Never loaded in this run, or let go unchanged: keep what the directory has.
        case unchanged
        case blank
        case painted(MaskLayer, version: Int)
    }

    var name: String
    var level: Float
    var transform: ViewTransform
    var mask: Mask
}

/// Everything a session save writes; built by the state machine, written by the runtime.
struct SessionSnapshot: Sendable {
    var current: String?
    var settings: SessionSettings
    var documents: [DocumentSnapshot]
}

extension StudioState {
    func snapshot() -> SessionSnapshot {
        SessionSnapshot(
            current: document?.name,
            settings: SessionSettings(viewMode: viewMode, overlayOpacity: overlayOpacity, brush: brush,
                                      primaryValue: primaryValue, secondaryValue: secondaryValue),
            documents: documents.map { d in
                let mask: DocumentSnapshot.Mask
                if let m = d.mask { mask = m.isBlank ? .blank : .painted(m, version: d.maskVersion) }
                else { mask = d.maskKnownBlank ? .blank : .unchanged }
                return DocumentSnapshot(name: d.name, level: d.level, transform: d.transform, mask: mask)
            })
    }

    /// Takes back what a previous session saved: levels, views, the tool settings and the current image. Masks
    /// come with each image as it loads.
    /// The file is untrusted (hand-edited, from another version, damaged): every number is brought back into the
    /// range the studio's own controls keep it in, and a non-finite one falls back to its default, because views
    /// and brushes convert them to pixel counts.
    mutating func restore(_ session: SessionFile) {
        viewMode = session.settings.viewMode
        overlayOpacity = Self.clamp(session.settings.overlayOpacity, 0...1, default: overlayOpacity)
        brush = session.settings.brush.sanitized
        primaryValue = clampToRange(Self.finite(session.settings.primaryValue, default: primaryValue))
        secondaryValue = clampToRange(Self.finite(session.settings.secondaryValue, default: secondaryValue))
        let byName = Dictionary(session.images.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for i in documents.indices {
            if let e = byName[documents[i].name] {
                documents[i].level = clampToRange(Self.finite(e.level, default: documents[i].level))
                documents[i].transform = e.transform.sanitized
            }
        }
        if let name = session.current, let i = documents.firstIndex(where: { $0.name == name }) { current = i }
    }
}

extension StudioState {
    static func finite(_ v: Float, default d: Float) -> Float { v.isFinite ? v : d }

    static func clamp(_ v: Float, _ range: ClosedRange<Float>, default d: Float) -> Float {
        v.isFinite ? min(max(v, range.lowerBound), range.upperBound) : d
    }
}

extension BrushSettings {
    /// Within the ranges the keys keep them in; spacing between 1% and 100% of the diameter.
    var sanitized: BrushSettings {
        let d = BrushSettings()
        return BrushSettings(diameter: StudioState.clamp(diameter, Self.diameterRange, default: d.diameter),
                             hardness: StudioState.clamp(hardness, 0...1, default: d.hardness),
                             opacity: StudioState.clamp(opacity, 0...1, default: d.opacity),
                             flow: StudioState.clamp(flow, 0...1, default: d.flow),
                             spacing: StudioState.clamp(spacing, 0.01...1, default: d.spacing))
    }
}

extension ViewTransform {
    /// Zoom within `zoomRange`; a non-finite centre becomes the image's centre.
    var sanitized: ViewTransform {
        ViewTransform(zoom: StudioState.clamp(zoom, Self.zoomRange, default: 1),
                      centerX: centerX.flatMap { $0.isFinite ? $0 : nil },
                      centerY: centerY.flatMap { $0.isFinite ? $0 : nil })
    }
}

/// Reads and writes sessions in one directory: `session.json` and `<image name>.mask.npy`, every file written to a
/// temporary name and renamed into place, so a crash never leaves half a file.
final class SessionStore: @unchecked Sendable {
    let directory: URL
    /// The mask version last written per image, so unchanged masks are not written again.
    private var written: [String: Int] = [:]
    private let lock = NSLock()

    init(directory: URL) {
        self.directory = directory
        // A studio killed mid-save left its temporary file here; without this each kill would add one for good.
        AtomicFile.sweepStale(in: directory)
    }

    /// Where a folder's session lives: `.monopix-session/` beside the images when that folder is writable, else
    /// under `$XDG_STATE_HOME/monopix/sessions/` (default `~/.local/state`), named after the folder's path.
    static func directory(for folder: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let local = folder.appendingPathComponent(".monopix-session", isDirectory: true)
        if FileManager.default.isWritableFile(atPath: folder.path) { return local }
        let state = environment["XDG_STATE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state")
        let key = folder.standardizedFileURL.path.replacingOccurrences(of: "/", with: "%")
        return state.appendingPathComponent("monopix/sessions/\(key)", isDirectory: true)
    }

    func maskURL(for name: String) -> URL {
        directory.appendingPathComponent(name + ".mask.npy")
    }

    func load() -> SessionFile? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("session.json")) else { return nil }
        return try? JSONDecoder().decode(SessionFile.self, from: data)
    }

    /// The painted layer saved for an image, if it has the expected size.
    func loadMask(for name: String, width: Int, height: Int) -> MaskLayer? {
        guard let array = try? NumpyArray(contentsOf: maskURL(for: name)), array.shape == [height, width] else { return nil }
        lock.withLock { written[name] = written[name] ?? 0 }
        return MaskLayer(width: width, height: height, values: array.values)
    }

    func save(_ snapshot: SessionSnapshot) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let previous = load()
        var entries: [SessionFile.Entry] = []
        for d in snapshot.documents {
            var maskName: String? = d.name + ".mask.npy"
            switch d.mask {
            case .unchanged:
                maskName = previous?.images.first { $0.name == d.name }?.mask
            case .blank:
                try? FileManager.default.removeItem(at: maskURL(for: d.name))
                lock.withLock { written[d.name] = nil }
                maskName = nil
            case .painted(let layer, let version):
                if lock.withLock({ written[d.name] }) != version {
                    try NumpyArray(shape: [layer.height, layer.width], values: layer.values).write(to: maskURL(for: d.name))
                    lock.withLock { written[d.name] = version }
                }
            }
            entries.append(.init(name: d.name, level: d.level, transform: d.transform, mask: maskName))
        }
        let file = SessionFile(current: snapshot.current, settings: snapshot.settings, images: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.writeAtomically(try encoder.encode(file), to: directory.appendingPathComponent("session.json"))
    }

    /// Temp file in the same directory, then `rename(2)`: readers see the old file or the new one, never a mix.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        do { try Engine.writeAtomically(data, to: url) } catch {
            throw StudioError.io(path: url.path, reason: "\(error)")
        }
    }
}
