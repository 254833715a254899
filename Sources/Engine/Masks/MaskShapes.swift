/// The intensity maps of the reference's spatial-control demos (util/MonoPix_utils.py), plus a radial one.
extension IntensityMap {
    /// A horizontal ramp: column i gets `i / (W / (max - min)) + min` (`get_spatial_continuous`); `reverse` flips it.
    public static func ramp(width: Int, height: Int, from lo: Float, to hi: Float, reverse: Bool = false) -> IntensityMap {
        var m = IntensityMap(width: width, height: height, constant: 0)
        for x in 0..<width {
            let v = Float(x) / (Float(width) / (hi - lo)) + lo
            for y in 0..<height { m[reverse ? width - 1 - x : x, y] = v }
        }
        return m
    }

    /// `count` vertical strips of width `W / count` at levels `linspace(min, max, count)` (`get_strip_lvl`); as in the
    /// reference, the columns left over after `count` whole strips keep level 0.
    public static func strips(width: Int, height: Int, count: Int, from lo: Float, to hi: Float, reverse: Bool = false) -> IntensityMap {
        var m = IntensityMap(width: width, height: height, constant: 0)
        let interval = width / max(1, count)
        let levels = count == 1 ? [lo] : (0..<count).map { lo + (hi - lo) * Float($0) / Float(count - 1) }
        for s in 0..<count {
            for x in (interval * s)..<min(width, interval * s + interval) {
                for y in 0..<height { m[reverse ? width - 1 - x : x, y] = levels[s] }
            }
        }
        return m
    }

    /// `max` at the centre falling linearly to `min` at the farthest corner (`reverse` swaps them).
    public static func radial(width: Int, height: Int, from lo: Float, to hi: Float, reverse: Bool = false) -> IntensityMap {
        var m = IntensityMap(width: width, height: height, constant: 0)
        let cx = Float(width - 1) / 2, cy = Float(height - 1) / 2
        let far = (cx * cx + cy * cy).squareRoot()
        for y in 0..<height { for x in 0..<width {
            let d = ((Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)).squareRoot() / max(far, 1e-6)
            let t = reverse ? d : 1 - d
            m[x, y] = lo + (hi - lo) * t
        } }
        return m
    }
}
