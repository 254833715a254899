#!/usr/bin/env bash
# Training throughput, monopix beside PyTorch CPU, interleaved ROUNDS times (the machine is shared: take the best).
#   Benchmarks/train_compare.sh [ROUNDS] [monopix bench train options…]
# e.g. Benchmarks/train_compare.sh 4 --fine-size 128 --batch-size 1 --ngf-mult 1
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
bin=.build/release/monopix
[ -x "$bin" ] || swift build -c release --product monopix
for i in $(seq "$rounds"); do
  echo "round $i (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin" bench train --torch "$@" | tail -2
done
