import Kernels

/// The MonoPix generator with its weights, ready to run: the reference's `Unet_resize_conv` in eval mode.
public struct Generator: Sendable {
    public let options: GeneratorOptions
    public let graph: GeneratorGraph
    /// Convolutions by parameter name (`conv1_1`, `LReLU1_1.1`, `deconv5`, …).
    let convolutions: [String: Convolution]
    /// Eval-mode batch norms folded to a per-channel scale and shift, by name (`norm1_1`, …).
    let foldedNorms: [String: (scale: [Float], shift: [Float])]

    /// The intensity that drives the modulation.
    public enum Intensity: Sendable {
        /// One level per sample, broadcast over the image.
        case levels([Float])
        /// A per-pixel map [N, 1, H, W] at the image's (unpadded) size.
        case map(Tensor)
    }

    /// Runs the generator on images [N, 3, H, W] in [-1, 1]; returns the output and the latent, cropped back to H x W.
    /// `noise`, needed when `options.useNoise`, is [N, 1, H', W'] at the padded size (multiples of 16).
    /// `gray`, the attention map [N, 1, H, W], is derived from `image` when not given (callers holding the 8-bit
    /// image pass `attentionMap(u8:)`'s exact double-precision values instead). `precision: .bf16` runs the
    /// convolutions' products in bfloat16 (a preview frame: about 1e-2 off the f32 output); the default is exact f32.
    public func callAsFunction(_ image: Tensor, intensity: Intensity, noise: Tensor? = nil, gray: Tensor? = nil,
                               precision: Precision = .f32) -> (output: Tensor, latent: Tensor) {
        let inputs = prepareInputs(image, intensity: intensity, noise: noise, gray: gray)
        let (out, latent) = GraphExecutor(generator: self, precision: precision).run(inputs.values)
        return (crop(out, inputs.padding), crop(latent, inputs.padding))
    }

    /// Runs the padded graph once, calling `observer(node, output)` after every node (for per-layer timing).
    public func profile(_ image: Tensor, intensity: Intensity, noise: Tensor? = nil, precision: Precision = .f32,
                        observer: @escaping (Int, Tensor) -> Void) {
        let inputs = prepareInputs(image, intensity: intensity, noise: noise)
        _ = GraphExecutor(generator: self, observer: observer, precision: precision).run(inputs.values)
    }

    /// Floating-point operations of one forward pass at a padded size (multiply-adds count 2; convolutions only).
    public func flops(height: Int, width: Int, batch: Int = 1) -> Double {
        var sizes: [Int: (Int, Int)] = [:]
        var total = 0.0
        for (i, node) in graph.nodes.enumerated() {
            let (h, w) = node.inputs.first.map { sizes[$0]! } ?? (height, width)
            switch node.op {
            case .pool, .maxPool: sizes[i] = (h / 2, w / 2)
            case .upsample: sizes[i] = (h * 2, w * 2)
            case let .conv(_, inC, outC, k, _, _):
                sizes[i] = (h, w)
                total += 2 * Double(inC * outC * k * k) * Double(h * w)
            default: sizes[i] = (h, w)
            }
        }
        return total * Double(batch)
    }

    /// Bytes of every node's activation for one image of `height` x `width` (what `IncrementalExecutor` keeps).
    public func activationBytes(height: Int, width: Int) -> Int {
        TiledExecutor(generator: self, height: height, width: width).planes.reduce(0) { $0 + $1.c * $1.h * $1.w } * MemoryLayout<Float>.size
    }

    /// The padded input tensors the graph's input nodes read, and the padding to undo afterwards.
    public func prepareInputs(_ image: Tensor, intensity: Intensity, noise: Tensor?, gray: Tensor? = nil) -> (values: [GeneratorGraph.Input: Tensor], padding: Insets) {
        let s = image.shape
        precondition(s.c == 3, "Generator: the image must have 3 channels, not \(s.c)")
        let padding = Insets.toMultiple(of: 16, height: s.h, width: s.w)
        let padded = reflectionPad(image, padding)
        var values: [GeneratorGraph.Input: Tensor] = [.image: padded]
        if options.relativeControl {
            switch intensity {
            case .levels(let levels):
                precondition(levels.count == s.n, "Generator: \(levels.count) levels for \(s.n) images")
                var t = Tensor(shape: Shape(n: s.n, c: 1, h: padded.shape.h, w: padded.shape.w))
                let plane = padded.shape.plane
                for n in 0..<s.n { for i in 0..<plane { t.scalars[n * plane + i] = levels[n] } }
                values[.intensity] = t
            case .map(let m):
                precondition(m.shape == Shape(n: s.n, c: 1, h: s.h, w: s.w), "Generator: map \(m.shape) for image \(s)")
                values[.intensity] = reflectionPad(m, padding)
            }
        }
        if options.useNoise {
            let want = Shape(n: s.n, c: 1, h: padded.shape.h, w: padded.shape.w)
            let n = noise ?? Tensor(shape: want)
            precondition(n.shape == want, "Generator: noise \(n.shape), expected \(want)")
            values[.noise] = n
        }
        if options.selfAttention { values[.gray] = reflectionPad(gray ?? Self.attentionMap(image), padding) }
        return (values, padding)
    }

    /// The low-light task's gray attention from 8-bit RGB (HWC), exactly as the reference computes it in numpy:
    /// `x = (u8 / 255 - 0.5) * 2`, `1 - (0.299 (r + 1) + 0.587 (g + 1) + 0.114 (b + 1)) / 2`, all in double.
    public static func attentionMap(u8 pixels: [UInt8], width: Int, height: Int) -> Tensor {
        var gray = Tensor(shape: Shape(n: 1, c: 1, h: height, w: width))
        for i in 0..<(width * height) { gray.scalars[i] = attention(red: pixels[3 * i], green: pixels[3 * i + 1], blue: pixels[3 * i + 2]) }
        return gray
    }

    /// One pixel of `attentionMap(u8:width:height:)`.
    @inline(__always)
    public static func attention(red: UInt8, green: UInt8, blue: UInt8) -> Float {
        func x(_ v: UInt8) -> Double { (Double(v) / 255 - 0.5) * 2 + 1 }
        return Float(1 - (0.299 * x(red) + 0.587 * x(green) + 0.114 * x(blue)) / 2)
    }

    /// The low-light task's gray attention: `1 - (0.299 r + 0.587 g + 0.114 b) / 2` with r, g, b = x + 1.
    public static func attentionMap(_ image: Tensor) -> Tensor {
        let s = image.shape
        var gray = Tensor(shape: Shape(n: s.n, c: 1, h: s.h, w: s.w))
        for n in 0..<s.n {
            for i in 0..<s.plane {
                let r = image.scalars[(n * 3) * s.plane + i] + 1
                let g = image.scalars[(n * 3 + 1) * s.plane + i] + 1
                let b = image.scalars[(n * 3 + 2) * s.plane + i] + 1
                gray.scalars[n * s.plane + i] = 1 - (0.299 * r + 0.587 * g + 0.114 * b) / 2
            }
        }
        return gray
    }
}
