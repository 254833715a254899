import AtomicFiles
import CGIF
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An animated GIF written frame by frame (a trajectory's levels, forth and back, as the reference's GIFs show
/// them): each frame gets its own 256-colour palette from giflib's median-cut quantizer (each entry then the mean
/// of its pixels), the file loops forever,
/// and it appears under its name only once whole (`AtomicFile.Pending`). Only one frame is held at a time.
public final class GIFAnimationWriter {
    public let url: URL
    public let width: Int
    public let height: Int
    /// Hundredths of a second each frame shows.
    public let delay: Int
    private var pending: AtomicFile.Pending?
    private var gif: UnsafeMutablePointer<GifFileType>?
    public private(set) var frameCount = 0

    public init(url: URL, width: Int, height: Int, delay: Int = 12) throws {
        guard (1...65535).contains(width), (1...65535).contains(height) else {
            throw ImageIOError.unwritable(path: url.path, reason: "a GIF is at most 65535 pixels a side, not \(width)x\(height)")
        }
        self.url = url; self.width = width; self.height = height; self.delay = delay
        do { pending = try AtomicFile.Pending(url) } catch let failure as AtomicFile.Failure {
            throw ImageIOError.unwritable(path: url.path, reason: failure.reason)
        }
        // giflib closes the descriptor it is given; the pending file keeps its own for fsync and rename.
        var error: Int32 = 0
        gif = EGifOpenFileHandle(dup(pending!.descriptor), &error)
        guard let gif else { throw failure(error) }
        EGifSetGifVersion(gif, true)
        guard EGifPutScreenDesc(gif, Int32(width), Int32(height), 8, 0, nil) == GIF_OK else { throw failure(gif.pointee.Error) }
        // NETSCAPE2.0: loop forever.
        var loop: [UInt8] = [1, 0, 0]
        let app = Array("NETSCAPE2.0".utf8)
        guard EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_OK,
              app.withUnsafeBytes({ EGifPutExtensionBlock(gif, 11, $0.baseAddress) }) == GIF_OK,
              EGifPutExtensionBlock(gif, 3, &loop) == GIF_OK,
              EGifPutExtensionTrailer(gif) == GIF_OK else { throw failure(gif.pointee.Error) }
    }

    /// Appends `frame` (the writer's size).
    public func append(_ frame: RGBImage) throws {
        guard let gif else { throw ImageIOError.unwritable(path: url.path, reason: "the writer was finished or failed") }
        guard frame.width == width, frame.height == height else {
            throw ImageIOError.unwritable(path: url.path, reason: "a frame of \(frame.width)x\(frame.height) in a \(width)x\(height) animation")
        }
        let n = width * height
        var red = [UInt8](repeating: 0, count: n), green = red, blue = red
        frame.pixels.withUnsafeBufferPointer { p in
            for i in 0..<n { red[i] = p[3 * i]; green[i] = p[3 * i + 1]; blue[i] = p[3 * i + 2] }
        }
        var indices = [UInt8](repeating: 0, count: n)
        var colours = [GifColorType](repeating: GifColorType(), count: 256)
        var count: Int32 = 256
        guard GifQuantizeBuffer(UInt32(width), UInt32(height), &count, &red, &green, &blue, &indices, &colours) == GIF_OK else {
            throw ImageIOError.unwritable(path: url.path, reason: "giflib could not reduce frame \(frameCount + 1) to 256 colours")
        }
        // giflib's median cut works on 5 bits a channel and returns its boxes' corners, up to 7 levels darker than
        // the pixels they stand for: each entry becomes the mean of the pixels that map to it instead.
        var sums = [Int](repeating: 0, count: 256 * 4)
        frame.pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let k = Int(indices[i]) * 4
                sums[k] += Int(p[3 * i]); sums[k + 1] += Int(p[3 * i + 1]); sums[k + 2] += Int(p[3 * i + 2]); sums[k + 3] += 1
            }
        }
        for k in 0..<256 where sums[4 * k + 3] > 0 {
            let c = sums[4 * k + 3]
            colours[k] = GifColorType(Red: UInt8((sums[4 * k] + c / 2) / c), Green: UInt8((sums[4 * k + 1] + c / 2) / c),
                                      Blue: UInt8((sums[4 * k + 2] + c / 2) / c))
        }
        guard let map = GifMakeMapObject(256, &colours) else {
            throw ImageIOError.unwritable(path: url.path, reason: "out of memory for a colour map")
        }
        defer { GifFreeMapObject(map) }
        var control = GraphicsControlBlock(DisposalMode: DISPOSE_DO_NOT, UserInputFlag: false, DelayTime: Int32(delay),
                                           TransparentColor: NO_TRANSPARENT_COLOR)
        var extensionBytes = [UInt8](repeating: 0, count: 4)
        let length = EGifGCBToExtension(&control, &extensionBytes)
        guard EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, Int32(length), extensionBytes) == GIF_OK,
              EGifPutImageDesc(gif, 0, 0, Int32(width), Int32(height), false, map) == GIF_OK else { throw failure(gif.pointee.Error) }
        try indices.withUnsafeMutableBufferPointer { rows in
            for y in 0..<height where EGifPutLine(gif, rows.baseAddress! + y * width, Int32(width)) != GIF_OK {
                throw failure(gif.pointee.Error)
            }
        }
        frameCount += 1
    }

    /// Closes the GIF and puts it in place.
    public func finish() throws {
        guard let g = gif, let p = pending else { throw ImageIOError.unwritable(path: url.path, reason: "the writer was finished or failed") }
        gif = nil
        var error: Int32 = 0
        guard EGifCloseFile(g, &error) == GIF_OK else {
            pending = nil
            throw failure(error)
        }
        pending = nil
        do { try p.commit() } catch let failure as AtomicFile.Failure {
            throw ImageIOError.unwritable(path: url.path, reason: failure.reason)
        }
    }

    private func failure(_ code: Int32) -> ImageIOError {
        let message = GifErrorString(code).map { String(cString: $0) } ?? "giflib error \(code)"
        return .unwritable(path: url.path, reason: message)
    }

    deinit {
        if let gif { var e: Int32 = 0; EGifCloseFile(gif, &e) }
        // A pending file dropped unfinished removes its temporary.
    }
}

extension GIFAnimationWriter {
    /// The trajectory `frames` (in level order) as a loop that plays forth and back: 0 … n-1, then n-2 … 1.
    public static func bounceOrder(count n: Int) -> [Int] {
        n < 3 ? Array(0..<n) : Array(0..<n) + Array((1..<(n - 1)).reversed())
    }
}
