#!/usr/bin/env bash
# libFuzzer over every reader of untrusted bytes (Tests/Fuzz/<target>/Harness.swift):
#   scripts/fuzz.sh build              build the instrumented modules and one binary per target
#   scripts/fuzz.sh run SECONDS [T…]   fuzz each target (default: all) for SECONDS, stop at the first finding
#   scripts/fuzz.sh repro T FILE…      run one target on given inputs (a crash file, a regression case)
# The modules are built by SwiftPM in .build-fuzz (debug configuration, so -enable-testing reaches internal
# entry points, but -O for speed; the release build's -Ounchecked would hide the very traps we look for).
# Every target runs with -rss_limit_mb=2048 -timeout=10, so blowups and hangs count as findings; crashes land
# in .build-fuzz/artifacts/<target>/. A summary line per target goes to .build-fuzz/summary.txt.
# Leak detection is off: LeakSanitizer reports buffers inside Foundation's own file reading (Data(contentsOf:),
# FileManager paths) on every input, which would hide everything else. Swift's own backtracer is off: under ASan
# it faults reading the crashed process, and libFuzzer prints the stack anyway.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
scratch=.build-fuzz
out="$scratch/debug"
bin="$scratch/bin"
targets_all=(pickle torch_zip torch_legacy safetensors npy png jpeg config mask_palette mask_file log_lines session)
# Built and run only when named (`scripts/fuzz.sh build h5`, `run 60 h5`): h5 (the .h5 training-data reader) found
# a crash inside Debian's libhdf5 1.10.8 itself in under a minute (docs/reliability.md, finding 9). The metadata walk
# now runs in a child process, but what H5Dread parses does not, so in targets_all a libhdf5 bug could fail CI's
# fuzz-short at random.
targets_extra=(h5)

# Which modules each target links (with their dependencies), in link order.
modules_for() {
    case "$1" in
        pickle|torch_zip|torch_legacy|safetensors|npy|config) echo "Model Kernels CWinograd CElementwise Yams CYaml ZIPFoundation CGemm CISA AtomicFiles" ;;
        png|jpeg) echo "ImageIO CImageCodecs CGemm CISA AtomicFiles" ;;
        mask_file|mask_palette) echo "Engine Evaluation Model Kernels CWinograd CElementwise ImageIO CImageCodecs Yams CYaml ZIPFoundation CGemm CISA AtomicFiles" ;;
        log_lines|h5) echo "Training CHDF5Probe Monitoring Model Kernels CWinograd CElementwise ImageIO CImageCodecs Yams CYaml ZIPFoundation CGemm CISA AtomicFiles" ;;
        session) echo "Studio Monitoring Engine Evaluation Model Kernels CWinograd CElementwise ImageIO CImageCodecs Yams CYaml ZIPFoundation CGemm CISA AtomicFiles" ;;
        *) echo "unknown fuzz target '$1' (known: ${targets_all[*]} ${targets_extra[*]})" >&2; exit 2 ;;
    esac
}

build_modules() {
    local flags=(-c debug --scratch-path "$scratch"
        -Xswiftc -O -Xswiftc -sanitize=fuzzer,address
        -Xcc -fsanitize=fuzzer-no-link,address -Xcc -O1)
    # Studio and Training between them depend on every library module the harnesses use.
    swift build "${flags[@]}" --target Studio
    swift build "${flags[@]}" --target Training
}

build_target() {
    local t="$1" objects=() m
    for m in $(modules_for "$t"); do
        while IFS= read -r o; do objects+=("$o"); done < <(find "$out/$m.build" -name '*.o' | sort)
    done
    # Relinked only when an object or the harness changed (SwiftPM leaves unchanged objects untouched).
    if [ -x "$bin/$t" ] && [ -z "$(find "${objects[@]}" Tests/Fuzz/Support.swift "Tests/Fuzz/$t/Harness.swift" \
        -newer "$bin/$t" -print -quit)" ]; then
        return
    fi
    local includes=(-I "$out/Modules")
    local map
    for map in "$out"/*.build/module.modulemap; do includes+=(-Xcc "-fmodule-map-file=$map"); done
    for map in Sources/C*/module.modulemap "$scratch"/checkouts/*/Sources/*/module.modulemap \
        "$scratch"/checkouts/*/Sources/*/include/module.modulemap; do
        includes+=(-Xcc "-fmodule-map-file=$map")
    done
    local libs
    # hdf5-serial: Training reads .h5 training files (CHDF5), so every harness linking Training needs it.
    libs="$(pkg-config --libs openblas libpng libjpeg libgif ncursesw libsixel hdf5-serial)"
    mkdir -p "$bin"
    echo "linking $t"
    # shellcheck disable=SC2086
    swiftc -O -sanitize=fuzzer,address -parse-as-library -g -use-ld=lld \
        "${includes[@]}" $(pkg-config --cflags-only-I openblas libpng libjpeg ncursesw libsixel hdf5-serial | sed 's/-I/-Xcc -I/g') \
        Tests/Fuzz/Support.swift "Tests/Fuzz/$t/Harness.swift" "${objects[@]}" $libs -lz -lm \
        -o "$bin/$t"
}

cmd="${1:-}"
shift || true
case "$cmd" in
    build)
        build_modules
        for t in "${@:-${targets_all[@]}}"; do build_target "$t"; done
        ;;
    run)
        seconds="${1:?usage: scripts/fuzz.sh run SECONDS [TARGET…]}"
        shift
        targets=("${@:-${targets_all[@]}}")
        summary="$scratch/summary.txt"
        : > "$summary"
        status=0
        for t in "${targets[@]}"; do
            corpus="$scratch/corpus/$t"
            artifacts="$scratch/artifacts/$t/"
            mkdir -p "$corpus" "$artifacts"
            log="$scratch/logs/$t.log"
            mkdir -p "$(dirname "$log")"
            start=$(date +%s)
            # The first folder collects new inputs; the committed seeds are read only.
            if SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$bin/$t" "$corpus" "Tests/Fuzz/$t/seeds" \
                -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 -max_len=65536 \
                -artifact_prefix="$artifacts" -print_final_stats=1 > "$log" 2>&1; then
                result=ok
            else
                result="FINDING (see $log, $artifacts)"
                status=1
            fi
            runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
            line="$(printf '%-13s %9s execs %4ss  %s' "$t" "${runs:-?}" "$(( $(date +%s) - start ))" "$result")"
            echo "$line" | tee -a "$summary"
        done
        exit $status
        ;;
    repro)
        t="${1:?usage: scripts/fuzz.sh repro TARGET FILE…}"
        shift
        SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$bin/$t" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 "$@"
        ;;
    *)
        sed -n '2,9p' "$0"
        exit 2
        ;;
esac
