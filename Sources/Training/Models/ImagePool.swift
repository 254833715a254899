import Kernels
import Model

/// CycleGAN's history of generated images (`util/image_pool.py`, `ImagePool`): the discriminators see a mix of
/// the newest fakes and older ones. Until full, every image is stored and returned; after that each image is,
/// with probability 1/2, swapped with a random stored one (the stored one is returned), else returned itself.
struct ImagePool {
    let capacity: Int
    /// Stored images, each [1, C, H, W].
    private(set) var images: [Tensor] = []

    init(capacity: Int) { self.capacity = capacity }

    /// The batch the discriminator trains on in place of `batch` [N, C, H, W].
    mutating func query(_ batch: Tensor, rng: inout SplitMix64) -> Tensor {
        guard capacity > 0 else { return batch }
        let s = batch.shape
        let one = Shape(n: 1, c: s.c, h: s.h, w: s.w)
        var out = batch
        for i in 0..<s.n {
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
        return Tensor(shape: Shape(n: images.count, c: first.c, h: first.h, w: first.w), scalars: images.flatMap(\.scalars))
    }

    /// Restores the images saved by `stacked`.
    mutating func restore(_ t: Tensor) {
        let s = t.shape
        let one = Shape(n: 1, c: s.c, h: s.h, w: s.w)
        images = (0..<min(s.n, capacity)).map { i in
            Tensor(shape: one, scalars: Array(t.scalars[(i * one.count)..<((i + 1) * one.count)]))
        }
    }
}
