#!/usr/bin/env bash
# Rebuilds the bundled low-light model (assets/models/lowlight-small) from nothing, with one command:
#   scripts/train_bundled_model.sh [WORKDIR]
# Needs python3 with scikit-image (the photos) and numpy; about 5 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/monopix-lowlight}"
mkdir -p "$work"
python3 "$here/scripts/make_lowlight_dataset.py" "$work/data" --crops 400 --size 64
(cd "$here" && swift build -c release -Xswiftc -enable-testing --product monopix)
# The shipped snapshot is epoch 12 of the config's 40-epoch schedule (101 steps an epoch): the run stops there.
"$here/.build/release/monopix" train --config "$here/configs/MonoPix_LowLight_Small.yaml" \
    --dataroot "$work/data" --checkpoints-dir "$work/checkpoints" --max-steps 1212
cp "$work/checkpoints/MonoPix_LowLight_Small/12_net_G_A.safetensors" "$here/assets/models/lowlight-small/model.safetensors"
echo "wrote $here/assets/models/lowlight-small/model.safetensors"
