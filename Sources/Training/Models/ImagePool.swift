import Kernels
import Model

/// CycleGAN's history of generated images (`util/image_pool.py`, `ImagePool`): the discriminators see a mix of
/// the newest fakes and older ones. Until full, every image is stored and returned; after that each image is,
/// with probability 1/2, swapped with a random stored one (the stored one is returned), else returned itself.
/// With `pairs` (`IP_MONO`, `ImagePool_Mono`) the unit is a contrastive pair of adjacent rows, so pairs stay intact.
struct ImagePool {
    let capacity: Int
    let pairs: Bool
    /// Stored units, each [1, C, H, W] (or [2, C, H, W] with `pairs`).
    private(set) var images: [Tensor] = []

    init(capacity: Int, pairs: Bool = false) { self.capacity = capacity; self.pairs = pairs }

    /// The batch the discriminator trains on in place of `batch` [N, C, H, W].
    mutating func query(_ batch: Tensor, rng: inout SplitMix64) -> Tensor {
        guard capacity > 0 else { return batch }
        let s = batch.shape
        let rows = pairs ? 2 : 1
        let one = Shape(n: rows, c: s.c, h: s.h, w: s.w)
        var out = batch
        for i in 0..<(s.n / rows) {
            let image = Tensor(shape: one, scalars: Array(batch.scalars[(i * one.count)..<((i + 1) * one.count)]))
            if images.count < capacity {
                images.append(image)
                continue
            }
            if rng.unit() > 0.5 {
                let k = Int(rng.next() % UInt64(capacity))
                let stored = images[k]
                images[k] = image
                if stored.shape == one {
                    out.scalars.replaceSubrange((i * one.count)..<((i + 1) * one.count), with: stored.scalars)
                }
            }
        }
        return out
    }

    /// The stored images as one tensor [count, C, H, W] for checkpoints (nil when empty).
    var stacked: Tensor? {
        guard let first = images.first?.shape else { return nil }
        return Tensor(shape: Shape(n: images.count * first.n, c: first.c, h: first.h, w: first.w), scalars: images.flatMap(\.scalars))
    }

    /// Restores the images saved by `stacked`.
    mutating func restore(_ t: Tensor) {
        let s = t.shape
        let rows = pairs ? 2 : 1
        let one = Shape(n: rows, c: s.c, h: s.h, w: s.w)
        images = (0..<min(s.n / rows, capacity)).map { i in
            Tensor(shape: one, scalars: Array(t.scalars[(i * one.count)..<((i + 1) * one.count)]))
        }
    }
}
