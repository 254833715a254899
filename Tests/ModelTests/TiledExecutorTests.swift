import XCTest
import Kernels
@testable import Model

/// Tiled runs against one pass over the whole image: odd sizes (not multiples of 16), tiles that cut through every
/// level's pooling grid and the borders, every norm, attention, noise, per-pixel maps and trajectories.
final class TiledExecutorTests: XCTestCase {
    func randomTensor(_ shape: Shape, seed: UInt64, scale: Float = 1) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.count).map { _ in (2 * rng.unit() - 1) * scale })
    }

    /// The tiles' outputs pasted into one image of the whole size.
    func assemble(_ exec: TiledExecutor, _ inputs: TileInputs, levels: [Float]?, grid: TileGrid, region: Region? = nil) throws -> [Tensor] {
        let r = region ?? .all(height: exec.height, width: exec.width)
        var images = [Tensor](repeating: Tensor(shape: Shape(n: 1, c: 3, h: r.height, w: r.width)), count: levels?.count ?? 1)
        var covered = 0
        try exec.run(inputs, levels: levels, grid: grid, region: region) { tile, outputs in
            XCTAssertEqual(outputs.count, images.count)
            for (i, o) in outputs.enumerated() {
                XCTAssertEqual(o.shape, Shape(n: 1, c: 3, h: tile.height, w: tile.width))
                images[i].paste(o, top: tile.top - r.top, left: tile.left - r.left)
            }
            covered += tile.area
        }
        XCTAssertEqual(covered, r.area, "the tiles cover the region once")
        return images
    }

    func network(_ configure: (inout GeneratorOptions) -> Void) -> Generator {
        var o = GeneratorOptions()
        o.widthMultiplier = 1.0 / 16
        configure(&o)
        return Generator.random(options: o, seed: 21)
    }

    /// A per-pixel map and a constant level through 48x64 tiles of a 157x203 image.
    func checkMapAndLevel(_ configure: (inout GeneratorOptions) -> Void, height: Int = 157, width: Int = 203,
                          tile: (Int, Int) = (48, 64), tolerance: Float = 1e-5,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let g = network(configure)
        let image = randomTensor(Shape(n: 1, c: 3, h: height, w: width), seed: 1)
        let map = randomTensor(Shape(n: 1, c: 1, h: height, w: width), seed: 2, scale: 1.5)
        let exec = TiledExecutor(generator: g, height: height, width: width)
        let noise = g.options.useNoise ? randomTensor(Shape(n: 1, c: 1, h: exec.paddedHeight, w: exec.paddedWidth), seed: 3) : nil
        let grid = TileGrid(paddedHeight: exec.paddedHeight, paddedWidth: exec.paddedWidth, tileHeight: tile.0, tileWidth: tile.1)
        XCTAssertGreaterThan(grid.count, 8, file: file, line: line)
        let inputs = TensorTileInputs(image: image, map: map, noise: noise, attention: g.options.selfAttention)
        let tiledMap = try assemble(exec, inputs, levels: nil, grid: grid)[0]
        let wholeMap = g(image, intensity: .map(map), noise: noise).output
        XCTAssertLessThan(tiledMap.maxAbsDifference(wholeMap), tolerance, "map", file: file, line: line)

        let tiledLevel = try assemble(exec, inputs, levels: [0.7], grid: grid)[0]
        let wholeLevel = g(image, intensity: .levels([0.7]), noise: noise).output
        XCTAssertLessThan(tiledLevel.maxAbsDifference(wholeLevel), tolerance, "level", file: file, line: line)
    }

    func testIdentityNorm() throws { try checkMapAndLevel { _ in } }
    func testBatchNormWithAttention() throws {
        try checkMapAndLevel { $0.norm = .batch; $0.selfAttention = true; $0.timesResidual = true; $0.tanhOutput = false }
    }
    /// Instance norm divides by each plane's spread, which magnifies rounding: one whole-image pass whose
    /// convolutions merely sum in another order (a quarter-width network, the patch-sized calls of a single tile)
    /// already differs from the padded pass by 1.4e-5, so this is held to the PyTorch fidelity bound instead.
    func testInstanceNormStatisticsPasses() throws {
        try checkMapAndLevel({ $0.norm = .instance; $0.transcode = true; $0.useAveragePooling = true }, height: 75, width: 98,
                             tile: (32, 32), tolerance: 1e-4)
    }
    func testNoiseModel() throws { try checkMapAndLevel { $0.useNoise = true; $0.tanhLatent = true } }
    func testNoIntensityChannel() throws { try checkMapAndLevel { $0.relativeControl = false } }

    /// A trajectory shares each tile's first layer across levels and still equals a pass per level.
    func testTrajectoryEqualsAPassPerLevel() throws {
        for configure in [{ (o: inout GeneratorOptions) in o.selfAttention = true; o.norm = .batch },
                          { (o: inout GeneratorOptions) in o.norm = .instance }] {
            let g = network(configure)
            let (h, w) = (83, 121)
            let image = randomTensor(Shape(n: 1, c: 3, h: h, w: w), seed: 4)
            let exec = TiledExecutor(generator: g, height: h, width: w)
            let grid = TileGrid(paddedHeight: exec.paddedHeight, paddedWidth: exec.paddedWidth, tileHeight: 32, tileWidth: 80)
            let levels: [Float] = [-0.5, 0, 0.3, 1, 1.8]
            let tiled = try assemble(exec, TensorTileInputs(image: image, attention: g.options.selfAttention), levels: levels, grid: grid)
            let tolerance: Float = g.options.norm == .instance ? 1e-4 : 1e-5   // see testInstanceNormStatisticsPasses
            for (level, t) in zip(levels, tiled) {
                XCTAssertLessThan(t.maxAbsDifference(g(image, intensity: .levels([level])).output), tolerance, "level \(level)")
            }
        }
    }

    /// Only a region of the image (the studio's zoomed view): the crop of a whole pass.
    func testRegionOfTheImage() throws {
        let g = network { $0.selfAttention = true }
        let (h, w) = (130, 140)
        let image = randomTensor(Shape(n: 1, c: 3, h: h, w: w), seed: 6)
        let exec = TiledExecutor(generator: g, height: h, width: w)
        let grid = TileGrid(paddedHeight: exec.paddedHeight, paddedWidth: exec.paddedWidth, tileHeight: 64, tileWidth: 64)
        let region = Region(top: 37, bottom: 101, left: 5, right: 77)
        let tiled = try assemble(exec, TensorTileInputs(image: image, attention: true), levels: [0.4], grid: grid, region: region)[0]
        let whole = g(image, intensity: .levels([0.4])).output.extracting(region)
        XCTAssertLessThan(tiled.maxAbsDifference(whole), 1e-5)
    }

    /// The planner: one tile when the image fits, smaller tiles (and more work) as the budget shrinks, every plan
    /// within its budget, and a clear error below the smallest tile.
    func testGridFollowsTheBudget() throws {
        let g = network { _ in }
        let exec = TiledExecutor(generator: g, height: 1000, width: 1500)
        let roomy = try exec.grid(budget: 8 << 30)
        XCTAssertTrue(roomy.grid.isSingleTile)
        XCTAssertLessThanOrEqual(roomy.workRatio, 1)   // the padding's margins of the output are not computed
        let tight = try exec.grid(budget: roomy.peakBytes / 3)
        XCTAssertFalse(tight.grid.isSingleTile)
        XCTAssertLessThanOrEqual(tight.peakBytes, roomy.peakBytes / 3)
        XCTAssertGreaterThan(tight.workRatio, 1)
        XCTAssertThrowsError(try exec.grid(budget: 1 << 20)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("--memory-budget") && text.contains("64x64"), text)
        }
    }

    /// The planned peak is what a tile's evaluation holds: the real evaluation never keeps more windows alive than
    /// the plan counts (checked through the plan's own bookkeeping on a tile that cuts every level).
    func testNeedsCoverWhatEvaluationReads() throws {
        let g = network { $0.selfAttention = true; $0.norm = .batch }
        let exec = TiledExecutor(generator: g, height: 200, width: 200)
        let needed = exec.needs(of: g.graph.output, region: Region(top: 40, bottom: 88, left: 104, right: 136))
        for (i, node) in g.graph.nodes.enumerated() where !needed[i].isEmpty {
            for j in node.inputs { XCTAssertFalse(needed[j].isEmpty, "\(g.graph.describe(i)) reads \(g.graph.describe(j))") }
        }
        // A 5-level U-Net's halo: the input needs well beyond the tile, the deepest level a few pixels around its share.
        XCTAssertLessThan(needed[0].top, 40 - 32)
    }
}
