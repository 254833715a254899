/// What a convolution reads: a tensor, or one it makes as it goes from others and never stores whole.
public enum ConvolutionInput {
    case tensor(Tensor)
    /// The channel concatenation of the parts (same batch and size).
    case concatenation([Tensor])
    /// `upsampleBilinear2x` of the tensor.
    case upsampled2x(Tensor)

    /// The input's shape as the convolution sees it.
    public var shape: Shape {
        switch self {
        case .tensor(let x): return x.shape
        case .concatenation(let parts):
            let s = parts[0].shape
            return Shape(n: s.n, c: parts.reduce(0) { $0 + $1.shape.c }, h: s.h, w: s.w)
        case .upsampled2x(let x): return Shape(n: x.shape.n, c: x.shape.c, h: 2 * x.shape.h, w: 2 * x.shape.w)
        }
    }

    /// The tensors whose planes are read.
    var stored: [Tensor] {
        switch self {
        case .tensor(let x), .upsampled2x(let x): return [x]
        case .concatenation(let parts): return parts
        }
    }

    /// The input made whole (for paths that need it stored, and for observers).
    public var materialized: Tensor {
        switch self {
        case .tensor(let x): return x
        case .concatenation(let parts): return concatChannels(parts)
        case .upsampled2x(let x): return upsampleBilinear2x(x)
        }
    }
}

/// A convolution's input as one pointer per channel plane, `[sample * channels + channel]`: a channel
/// concatenation of several tensors is then read where its parts lie, never copied into one tensor first (the
/// U-Net's skip concatenations, and the image with its intensity channel).
struct ChannelPlanes {
    let pointers: UnsafeBufferPointer<UnsafePointer<Float>>
    let channels: Int
    /// Whether sample `n`'s planes follow one another in memory (one part): then `base(n)` is all of them.
    let contiguous: Bool

    func plane(_ n: Int, _ c: Int) -> UnsafePointer<Float> { pointers[n * channels + c] }
    func base(_ n: Int) -> UnsafePointer<Float> { pointers[n * channels] }
}

/// Calls `body` with the channel planes of `parts` concatenated along channels; every part stays pinned meanwhile.
func withChannelPlanes<R>(of parts: [Tensor], _ body: (ChannelPlanes) -> R) -> R {
    let first = parts[0].shape
    let channels = parts.reduce(0) { $0 + $1.shape.c }
    for part in parts {
        precondition(part.shape.n == first.n && part.shape.h == first.h && part.shape.w == first.w,
                     "concatenated convolution input: \(part.shape) does not match \(first)")
    }
    var pointers = [UnsafePointer<Float>?](repeating: nil, count: first.n * channels)
    func pin(_ index: Int, channelOffset: Int) -> R {
        guard index < parts.count else {
            return pointers.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: UnsafePointer<Float>.self) { planes in
                    body(ChannelPlanes(pointers: planes, channels: channels, contiguous: parts.count == 1))
                }
            }
        }
        let part = parts[index]
        return part.scalars.withUnsafeBufferPointer { buffer in
            for n in 0..<first.n {
                let base = buffer.baseAddress! + n * part.shape.c * first.plane
                for c in 0..<part.shape.c { pointers[n * channels + channelOffset + c] = base + c * first.plane }
            }
            return pin(index + 1, channelOffset: channelOffset + part.shape.c)
        }
    }
    return pin(0, channelOffset: 0)
}

/// One sample's input planes; with `upsampling`, planes of half the convolution's input size, whose bilinear x2
/// upsample is the input.
struct SampleInput {
    let planes: ChannelPlanes
    let sample: Int
    let upsampling: Bilinear2x?

    func plane(_ c: Int) -> UnsafePointer<Float> { planes.plane(sample, c) }
}
