import AtomicFiles
import CImageCodecs
import Foundation

/// An 8-bit RGB PNG written a band of rows at a time, so that a batch of photo-sized outputs (a trajectory's levels)
/// never exists whole in memory. Atomic like `PNGFile.write`: nothing appears under `url` until `finish()`, and a
/// writer dropped before that (an error, a cancelled export) leaves an existing file as it was.
public final class PNGRowWriter {
    public let url: URL
    public let width: Int, height: Int
    public private(set) var rowsWritten = 0
    private var pending: AtomicFile.Pending?
    private var stream: OpaquePointer?

    public init(url: URL, width: Int, height: Int) throws {
        guard width > 0, height > 0, let w = UInt32(exactly: width), let h = UInt32(exactly: height) else {
            throw ImageIOError.unsupported(path: url.path, format: .png, what: "size \(width)x\(height)")
        }
        self.url = url
        self.width = width
        self.height = height
        do { pending = try AtomicFile.Pending(url) } catch let failure as AtomicFile.Failure {
            throw ImageIOError.unwritable(path: url.path, reason: failure.reason)
        }
        var err = mpx_error()
        guard let s = mpx_png_stream_begin(pending!.descriptor, w, h, 8, PNGColorType.rgb, nil, 0, &err) else {
            throw PNGFile.writeFailure(err, path: url.path)
        }
        stream = s
    }

    /// The next `count` rows: `count * width * 3` bytes, RGB, rows top to bottom.
    public func append(_ rows: UnsafeBufferPointer<UInt8>, count: Int) throws {
        precondition(rows.count >= count * width * 3, "PNGRowWriter: \(rows.count) bytes for \(count) rows of \(width)")
        guard let stream else { throw ImageIOError.unwritable(path: url.path, reason: "the writer was finished or failed") }
        guard rowsWritten + count <= height else {
            throw ImageIOError.unsupported(path: url.path, format: .png, what: "row \(rowsWritten + count) of a \(height)-row image")
        }
        var err = mpx_error()
        guard mpx_png_stream_rows(stream, rows.baseAddress, width * 3, UInt32(count), &err) == 0 else {
            abandon()
            throw PNGFile.writeFailure(err, path: url.path)
        }
        rowsWritten += count
    }

    public func append(_ rows: [UInt8], count: Int) throws {
        try rows.withUnsafeBufferPointer { try append($0, count: count) }
    }

    /// Ends the file and puts it in place; every row must have been written.
    public func finish() throws {
        guard let s = stream, let p = pending else { throw ImageIOError.unwritable(path: url.path, reason: "the writer was finished or failed") }
        stream = nil
        var err = mpx_error()
        guard mpx_png_stream_end(s, &err) == 0 else {
            pending = nil
            throw PNGFile.writeFailure(err, path: url.path)
        }
        pending = nil
        do { try p.commit() } catch let failure as AtomicFile.Failure {
            throw ImageIOError.unwritable(path: url.path, reason: failure.reason)
        }
    }

    /// Gives the file up (the temporary goes, `url` is untouched).
    public func abandon() {
        if let stream { mpx_png_stream_abort(stream) }
        stream = nil
        pending = nil
    }

    deinit { abandon() }
}
