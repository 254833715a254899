#!/usr/bin/env bash
# Rebuilds the bundled low-light model (assets/models/lowlight-small) from nothing, with one command:
#   scripts/train_bundled_model.sh [WORKDIR]
# Needs python3 with scikit-image (the photos) and numpy; about 25 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/monopix-lowlight}"
mkdir -p "$work"
python3 "$here/scripts/make_lowlight_dataset.py" "$work/data" --crops 400 --size 64
(cd "$here" && swift build -c release --product monopix)
"$here/.build/release/monopix" train --config "$here/configs/MonoPix_LowLight_Small.yaml" \
    --dataroot "$work/data" --checkpoints-dir "$work/checkpoints"
run="$work/checkpoints/MonoPix_LowLight_Small"
python3 "$here/scripts/average_checkpoints.py" "$here/assets/models/lowlight-small/model.safetensors" \
    "$run/20_net_G_A.safetensors" "$run/25_net_G_A.safetensors" "$run/30_net_G_A.safetensors" \
    "$run/35_net_G_A.safetensors" "$run/40_net_G_A.safetensors"
echo "wrote $here/assets/models/lowlight-small/model.safetensors"
