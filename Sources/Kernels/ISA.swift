import CISA

/// The instruction-set level every C kernel (CGemm, CWinograd, CElementwise) dispatches to: the widest this CPU runs,
/// capped by `MONOPIX_ISA=avx512|avx2|baseline` for a process, or by setting `ISA.current` (the tests run each path
/// in one process). `avx2` means AVX2 with FMA (Haswell, Zen 1-3); `avx512` is F+BW+VL+DQ (bf16 where the CPU has it).
public enum ISA: Int, CaseIterable, Sendable, CustomStringConvertible {
    case baseline = 0, avx2 = 1, avx512 = 2

    /// The widest level this CPU runs, whatever the cap (baseline off x86-64).
    public static var supported: ISA { ISA(rawValue: Int(mpx_isa_supported())) ?? .baseline }

    /// The level the kernels use now; setting it caps every later call (a level above `supported` means no cap).
    public static var current: ISA {
        get { ISA(rawValue: Int(mpx_isa())) ?? .baseline }
        set { mpx_isa_cap(Int32(newValue.rawValue)) }
    }

    /// Every level this CPU runs, widest first.
    public static var runnable: [ISA] { allCases.reversed().filter { $0.rawValue <= supported.rawValue } }

    /// The `MONOPIX_ISA` spelling.
    public var description: String { String(cString: mpx_isa_name(Int32(rawValue))) }
}
