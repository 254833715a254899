#!/usr/bin/env bash
# The fine-tune experiments of issue #17 (2026-12-08) from the shipped assets/models/lowlight-small, as run:
#   scripts/finetune_bundled_model.sh [WORKDIR] [BIN]
# WORKDIR holds data/ (scripts/make_photo_dataset.py) and gets checkpoints/; BIN is a prebuilt `monopix`
# (default: .build/release/monopix). None of them beat the best global gain; the numbers are in
# assets/models/lowlight-small/README.md ("Fine-tuning attempts"). Each run is 480 + 160 images, 120 steps an epoch
# (~100 s on two free cores), generator from the shipped file, discriminators and Adam fresh, a snapshot every epoch.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/monopix-photos}"
bin="${2:-$here/.build/release/monopix}"
cfg="$here/configs/MonoPix_LowLight_Photos.yaml"
ship="$here/assets/models/lowlight-small/model.safetensors"
ck="$work/checkpoints"
[ -d "$work/data/trainA_Dark" ] || python3 "$here/scripts/make_photo_dataset.py" "$work/data" --cache "$work/cache"
ft() { name=$1; shift
    [ -f "$ck/$name/latest_train_state.safetensors" ] && return 0
    nice -n 10 "$bin" train --config "$cfg" --dataroot "$work/data" --checkpoints-dir "$ck" --name "$name" \
        --set save_epoch_freq=1 "$@"; }
# A: paired_l1 40 -> 100, lr 5e-5, 3 + 3 epochs (lr linear to 0 over the last 3)
ft ftA --init-from "$ship" --set paired_l1=100 --set lr=0.00005 --set niter=3 --set niter_decay=3
# B: paired_l1 200, otherwise as A
ft ftB --init-from "$ship" --set paired_l1=200 --set lr=0.00005 --set niter=3 --set niter_decay=3
# C: paired_l1 1000 (the GAN and monotonicity terms nearly off), 2 + 2 epochs
ft ftC --init-from "$ship" --set paired_l1=1000 --set lr=0.00005 --set niter=2 --set niter_decay=2
# D: from B's epoch 4 (its best snapshot), paired_l1 200, lr 2e-5, 1 + 2 epochs
ft ftD --init-from "$ck/ftB/4_net_G_A.safetensors" --set paired_l1=200 --set lr=0.00002 --set niter=1 --set niter_decay=2
# Means of snapshots (scripts/average_checkpoints.py OUT IN...):
python3 "$here/scripts/average_checkpoints.py" "$ck/avgA_2-6.safetensors" "$ck"/ftA/{2,3,4,5,6}_net_G_A.safetensors
python3 "$here/scripts/average_checkpoints.py" "$ck/avgB_3-6.safetensors" "$ck"/ftB/{3,4,5,6}_net_G_A.safetensors
python3 "$here/scripts/average_checkpoints.py" "$ck/soup_last3.safetensors" "$ck"/ftA/6_net_G_A.safetensors \
    "$ck"/ftB/6_net_G_A.safetensors "$ck"/ftC/4_net_G_A.safetensors
python3 "$here/scripts/average_checkpoints.py" "$ck/soup_top3.safetensors" "$ck"/ftA/4_net_G_A.safetensors \
    "$ck"/ftB/4_net_G_A.safetensors "$ck"/ftC/4_net_G_A.safetensors
# Screening: scripts/quick_best_level.py (the eval script's best level in [0, 2] restricted to 0.6 ... 1.4; same
# numbers whenever every image's best level lies there, as for all of these), then the full
# scripts/eval_lowlight_model.py --best-max 2 on the best candidate.
for f in "$ck"/ft?/*_net_G_A.safetensors "$ck"/*.safetensors; do
    python3 "$here/scripts/quick_best_level.py" --checkpoint "$f" --heldout "$work/data/heldout" --bin "$bin" \
        --out "$work/quick/$(basename "$(dirname "$f")")_$(basename "$f" .safetensors)"
done
