/// The brush, as painters know it (GIMP, Krita): the diameter is in image pixels; the dab is opaque out to
/// `hardness · radius`, then falls smoothly to 0 at the radius; `flow` is how much one dab adds, `opacity` caps
/// what one stroke can reach; dabs are placed every `spacing · diameter` along the stroke.
struct BrushSettings: Equatable, Sendable, Codable {
    var diameter: Float = 24
    var hardness: Float = 0.5
    var opacity: Float = 1
    var flow: Float = 1
    var spacing: Float = 0.1

    static let diameterRange: ClosedRange<Float> = 1...2048

    /// Distance between dabs, in image pixels (never below half a pixel).
    var step: Float { max(0.5, spacing * diameter) }
}

/// The dab's strength at `distance` from its centre: 1 inside `hardness · radius`, then a smoothstep down to 0 at
/// the radius, 0 beyond.
func brushFalloff(distance: Float, radius: Float, hardness: Float) -> Float {
    guard radius > 0 else { return 0 }
    let r = distance / radius
    let h = min(max(hardness, 0), 1)
    if r >= 1 { return 0 }
    if r <= h { return 1 }
    let t = (r - h) / (1 - h)
    return 1 - t * t * (3 - 2 * t)
}

/// A stroke in progress: dabs placed along the pointer's path, with the coverage each pixel has accumulated.
///
/// Pixels are recomputed from the layer as it was when the stroke began, so overlapping dabs build up towards
/// the brush's opacity and never past it: `value = before + (target − before) · min(coverage, opacity)`.
struct Stroke: Equatable, Sendable {
    enum Target: Equatable, Sendable {
        /// Paint this intensity.
        case value(Float)
        /// Erase: back towards the global level (fully erased pixels follow the slider again).
        case erase
    }

    let target: Target
    let brush: BrushSettings
    /// The layer before the stroke: the base of every recomputation and the "before" of the undo step.
    let before: MaskLayer
    private(set) var coverage: [Float]
    private(set) var dirty = PixelRect.empty
    /// Where the pointer was last, and (below) how far it has travelled since the last dab.
    private(set) var lastDab: (x: Float, y: Float)?
    private var travelled: Float = 0

    init(target: Target, brush: BrushSettings, layer: MaskLayer) {
        self.target = target
        self.brush = brush
        before = layer
        coverage = [Float](repeating: 0, count: layer.width * layer.height)
    }

    static func == (a: Stroke, b: Stroke) -> Bool {
        a.target == b.target && a.brush == b.brush && a.dirty == b.dirty && a.coverage == b.coverage
    }

    /// Moves the pointer to (x, y) in image pixel coordinates, placing dabs every `brush.step` along the segment
    /// from the last position (the first call places one dab). Terminals report at most one motion per cell, so
    /// this is what keeps a fast drag from leaving holes.
    mutating func move(to x: Float, _ y: Float, layer: inout MaskLayer, level: Float) {
        guard let last = lastDab else {
            dab(at: x, y, layer: &layer, level: level)
            lastDab = (x, y)
            return
        }
        let dx = x - last.x, dy = y - last.y
        let length = (dx * dx + dy * dy).squareRoot()
        guard length > 0 else { return }
        let step = brush.step
        var along = step - travelled
        while along <= length {
            dab(at: last.x + dx * along / length, last.y + dy * along / length, layer: &layer, level: level)
            along += step
        }
        // The next segment starts at this one's end, remembering how far past the last dab that is.
        travelled = length - (along - step)
        lastDab = (x, y)
    }

    /// One dab centred at (x, y); pixel centres are at +0.5.
    mutating func dab(at x: Float, _ y: Float, layer: inout MaskLayer, level: Float) {
        let radius = brush.diameter / 2
        let rect = PixelRect(x: Int((x - radius).rounded(.down)), y: Int((y - radius).rounded(.down)),
                             width: Int(brush.diameter.rounded(.up)) + 2, height: Int(brush.diameter.rounded(.up)) + 2)
            .clamped(width: layer.width, height: layer.height)
        guard !rect.isEmpty else { return }
        dirty = dirty.union(rect)
        let flow = min(max(brush.flow, 0), 1), opacity = min(max(brush.opacity, 0), 1)
        for py in rect.y..<rect.maxY {
            let cy = Float(py) + 0.5 - y
            for px in rect.x..<rect.maxX {
                let cx = Float(px) + 0.5 - x
                let a = brushFalloff(distance: (cx * cx + cy * cy).squareRoot(), radius: radius, hardness: brush.hardness) * flow
                guard a > 0 else { continue }
                let i = py * layer.width + px
                coverage[i] += (1 - coverage[i]) * a
                let c = min(coverage[i], opacity)
                let base = before.values[i]
                switch target {
                case .value(let v):
                    let from = base.isNaN ? level : base
                    layer.values[i] = c >= 1 ? v : from + (v - from) * c
                case .erase:
                    if base.isNaN { continue }
                    layer.values[i] = c >= 0.999 ? .nan : base + (level - base) * c
                }
            }
        }
    }
}
