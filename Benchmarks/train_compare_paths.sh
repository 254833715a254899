#!/usr/bin/env bash
# Issue #17's four training comparisons in one run: monopix beside PyTorch CPU at the bundled model's size and at
# the reference's widths, on this CPU's native path and forced to AVX2 (MONOPIX_ISA for us; ATEN_CPU_CAPABILITY,
# ONEDNN_MAX_CPU_ISA and MKL_ENABLE_INSTRUCTIONS for PyTorch, so both sides run what an AVX2-only CPU would).
#   Benchmarks/train_compare_paths.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
for path in native avx2; do
  if [ "$path" = avx2 ]; then
    export MONOPIX_ISA=avx2 ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2
  fi
  echo "== $path: bundled size (lowlight-small, 128x128, batch 4)"
  Benchmarks/train_compare.sh "$rounds" --config configs/MonoPix_LowLight_Small.yaml --fine-size 128 --batch-size 4 --ngf-mult 0.25
  echo "== $path: reference widths (lowlight, 128x128, batch 1)"
  Benchmarks/train_compare.sh "$rounds" --config configs/MonoPix_LowLight_Default.yaml --fine-size 128 --batch-size 1 --ngf-mult 1
done
