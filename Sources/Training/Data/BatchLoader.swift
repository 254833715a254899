import Foundation
import ImageIO
import Kernels
import Model

/// Where a batch sits in the schedule: 1-based epoch and 1-based iteration within it.
struct BatchPosition: Equatable {
    var epoch: Int
    var iteration: Int
}

/// Unpaired batches from the two folders, prepared ahead on a background thread.
///
/// One epoch is `ceil(max(|A|, |B|) / batchSize)` iterations (the reference's DataLoader over a dataset of length
/// max(|A|, |B|), last batch partial). Each sample draws an A image and a B image uniformly at random (the
/// reference's `np.random.randint(0, size - 1)` never draws the last file of a folder; we draw every file). The
/// randomness of batch (epoch, iteration) comes from the run seed and that position alone, so the stream is the
/// same whether it is prepared ahead, on another thread, or after a resume.
final class BatchLoader: @unchecked Sendable {
    /// Where samples come from: the two folders (with `paired_target`, also the photos the A images were made from,
    /// and for each A image the index of its photo), or an .h5 file's clean (A) and noisy (B) crops.
    enum Source {
        case folders(a: ImageFolder, b: ImageFolder, targets: (folder: ImageFolder, index: [Int])?)
        /// `patch`: the square crop (the reference's `patchSize`).
        case h5(H5PairFile, patch: Int)
    }
    let source: Source
    let settings: DataSettings
    let batchSize: Int
    let seed: UInt64
    let iterationsPerEpoch: Int
    let datasetSize: Int

    private let condition = NSCondition()
    private var queue: [(BatchPosition, Result<TrainingBatch, Error>)] = []
    private var stopped = false
    private let depth = 2
    private var thread: Thread?

    convenience init(a: ImageFolder, b: ImageFolder, targets: (folder: ImageFolder, index: [Int])? = nil, settings: DataSettings,
                     batchSize: Int, seed: UInt64) {
        self.init(source: .folders(a: a, b: b, targets: targets), settings: settings, batchSize: batchSize, seed: seed)
    }

    /// With an .h5 file, an epoch is `ceil(n / batchSize)` iterations over its n pairs (the reference's dataset
    /// length is its number of images).
    init(source: Source, settings: DataSettings, batchSize: Int, seed: UInt64) {
        self.source = source
        self.settings = settings
        self.batchSize = batchSize
        self.seed = seed
        switch source {
        case let .folders(a, b, _): datasetSize = max(a.count, b.count)
        case let .h5(file, _): datasetSize = file.count
        }
        self.iterationsPerEpoch = (datasetSize + batchSize - 1) / batchSize
    }

    /// Samples in batch `iteration` of an epoch (the last one may be short).
    func samples(inIteration iteration: Int) -> Int {
        min(batchSize, datasetSize - (iteration - 1) * batchSize)
    }

    /// The position after `p`.
    func following(_ p: BatchPosition) -> BatchPosition {
        p.iteration < iterationsPerEpoch ? BatchPosition(epoch: p.epoch, iteration: p.iteration + 1)
            : BatchPosition(epoch: p.epoch + 1, iteration: 1)
    }

    /// Starts preparing batches from `position` on.
    func start(at position: BatchPosition) {
        let t = Thread { [weak self] in self?.produce(from: position) }
        t.name = "monopix.batch-loader"
        thread = t
        t.start()
    }

    /// The next batch in order (waits for the loader thread). Throws when a folder has no decodable image left.
    func next() throws -> (position: BatchPosition, batch: TrainingBatch) {
        condition.lock()
        while queue.isEmpty && !stopped { condition.wait() }
        guard !queue.isEmpty else { condition.unlock(); throw CancellationError() }
        let (p, result) = queue.removeFirst()
        condition.signal()
        condition.unlock()
        return (p, try result.get())
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    deinit { stop() }

    private func produce(from start: BatchPosition) {
        var p = start
        while true {
            let result = Result { try self.batch(at: p) }
            condition.lock()
            while queue.count >= depth && !stopped { condition.wait() }
            if stopped { condition.unlock(); return }
            queue.append((p, result))
            condition.broadcast()
            condition.unlock()
            if case .failure = result { return }
            p = following(p)
        }
    }

    /// Builds the batch at a position (deterministic in the seed and the position).
    func batch(at p: BatchPosition) throws -> TrainingBatch {
        var rng = SplitMix64(seed: Seeds.derive(seed, .data, p.epoch, p.iteration))
        let (a, b, targets): (ImageFolder, ImageFolder, (folder: ImageFolder, index: [Int])?)
        switch source {
        case let .folders(fa, fb, t): (a, b, targets) = (fa, fb, t)
        case let .h5(file, patch): return try h5Batch(file, patch: patch, at: p, rng: &rng)
        }
        var imagesA: [RGBImage] = [], imagesB: [RGBImage] = [], imagesT: [RGBImage] = []
        for _ in 0..<samples(inIteration: p.iteration) {
            if let targets {
                let (image, photo) = try drawPair(a, targets, &rng)
                imagesA.append(image); imagesT.append(photo)
            } else {
                imagesA.append(try draw(a, &rng))
            }
            imagesB.append(try draw(b, &rng))
        }
        guard settings.lowLight else { return TrainingBatch(a: tensor(imagesA), b: tensor(imagesB)) }

        // lowlight_dataset: joint flips of A and B, then the `vary` darkening of the generator's input.
        var As: [Tensor] = [], Bs: [Tensor] = [], inputs: [Tensor] = [], Ts: [Tensor] = []
        for (k, (ia, ib)) in zip(imagesA, imagesB).enumerated() {
            var ta = tensor([ia]), tb = tensor([ib])
            var tt = imagesT.isEmpty ? nil : tensor([imagesT[k]])
            var input = ta
            if settings.resizeOrCrop != "no" {
                if !settings.noFlip && rng.unit() < 0.5 {
                    ta = flippedTensor(ta, horizontally: true); tb = flippedTensor(tb, horizontally: true)
                    tt = tt.map { flippedTensor($0, horizontally: true) }
                }
                if !settings.noFlip && rng.unit() < 0.5 {
                    ta = flippedTensor(ta, horizontally: false); tb = flippedTensor(tb, horizontally: false)
                    tt = tt.map { flippedTensor($0, horizontally: false) }
                }
                input = ta
                if settings.vary && !settings.noFlip && rng.unit() < 0.5 {
                    let span = UInt64(settings.highTimes - settings.lowTimes + 1)
                    let times = Float(settings.lowTimes + Int(rng.next() % span)) / 100
                    input.scalars = ta.scalars.map { (($0 + 1) / 2 / times) * 2 - 1 }
                }
            }
            As.append(ta); Bs.append(tb); inputs.append(input)
            if let tt { Ts.append(tt) }
        }
        return TrainingBatch(a: concatBatch(As), b: concatBatch(Bs), input: concatBatch(inputs), target: Ts.isEmpty ? nil : concatBatch(Ts))
    }

    /// An A image and the photo it was made from, cropped and flipped alike (the same draws prepare both).
    private func drawPair(_ a: ImageFolder, _ targets: (folder: ImageFolder, index: [Int]), _ rng: inout SplitMix64) throws -> (RGBImage, RGBImage) {
        while true {
            let i = a.randomIndex(&rng)
            guard let image = try a.read(i) else { continue }
            let j = targets.index[i]
            guard let photo = try targets.folder.read(j) else { continue }
            guard photo.width == image.width && photo.height == image.height else {
                throw TrainingError.pairSizeMismatch(path: a.files[i].path, size: "\(image.width)x\(image.height)",
                                                     pairedSize: "\(photo.width)x\(photo.height)")
            }
            var same = rng
            let prepared = settings.prepare(image, rng: &rng)
            return (prepared, settings.prepare(photo, rng: &same))
        }
    }

    private func draw(_ folder: ImageFolder, _ rng: inout SplitMix64) throws -> RGBImage {
        while true {
            let i = folder.randomIndex(&rng)
            if let image = try folder.read(i) { return settings.prepare(image, rng: &rng) }
        }
    }
}

extension BatchLoader {
    /// The reference's `BenchmarkTrain.__getitem__` per sample: a clean index and a noisy index drawn independently,
    /// one `patch` crop position for both (within the area they share), then each crop alone, with probability 1/2,
    /// through one of DANet's augmentation modes 1-7.
    func h5Batch(_ file: H5PairFile, patch: Int, at p: BatchPosition, rng: inout SplitMix64) throws -> TrainingBatch {
        var imagesA: [RGBImage] = [], imagesB: [RGBImage] = []
        for _ in 0..<samples(inIteration: p.iteration) {
            let i = Int(rng.next() % UInt64(file.count)), j = Int(rng.next() % UInt64(file.count))
            let clean = try file.cleanImage(i), noisy = try file.noisyImage(j)
            let h = min(clean.height, noisy.height), w = min(clean.width, noisy.width)
            let top = Int(rng.next() % UInt64(h - patch + 1)), left = Int(rng.next() % UInt64(w - patch + 1))
            for (image, list) in [(clean, 0), (noisy, 1)] {
                var crop = cropped(image, top: top, left: left, size: patch)
                if rng.next() % 2 == 1 { crop = augmented(crop, mode: 1 + Int(rng.next() % 7)) }
                if list == 0 { imagesA.append(crop) } else { imagesB.append(crop) }
            }
        }
        return TrainingBatch(a: tensor(imagesA), b: tensor(imagesB))
    }
}

/// DANet's `data_augmentation(image, mode)`: `np.rot90` (counter-clockwise) `mode / 2` times, then `np.flipud`
/// when `mode` is odd.
func augmented(_ image: RGBImage, mode: Int) -> RGBImage {
    var im = image
    for _ in 0..<(mode / 2) {
        // np.rot90 of an H x W image: out[r][c] = in[c][W-1-r], out is W x H.
        var out = RGBImage(width: im.height, height: im.width)
        for r in 0..<out.height {
            for c in 0..<out.width {
                let src = (c * im.width + (im.width - 1 - r)) * 3, dst = (r * out.width + c) * 3
                out.pixels[dst] = im.pixels[src]; out.pixels[dst + 1] = im.pixels[src + 1]; out.pixels[dst + 2] = im.pixels[src + 2]
            }
        }
        im = out
    }
    return mode % 2 == 1 ? flipped(im, horizontally: false) : im
}

