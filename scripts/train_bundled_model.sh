#!/usr/bin/env bash
# Rebuilds the bundled low-light model (assets/models/lowlight-small) from nothing, with one command:
#   scripts/train_bundled_model.sh [WORKDIR]
# Needs python3 with numpy, Pillow and scikit-image, apt-get (the photos come from Debian packages, downloaded, never
# installed) and about 70 minutes of two CPU cores. Stopping it (Ctrl-C) loses nothing: run it again and the training
# resumes from its last step.
#
# The recipe (configs/MonoPix_LowLight_Photos.yaml), in three phases on one run folder, as the shipped run went (it was
# stopped and resumed with the changes below, each decided by evaluating the snapshot so far):
#   1. steps 1-1503 with c1_max 1 (levels in [0, 1]), paired_l1 10 and a 30 + 20 epoch schedule;
#   2. steps 1504-2326 with c1_max 2 (levels past 1 learn a photo brighter than the original, so that the best level
#      of a search can correct the model's exposure) and a 20 + 12 epoch schedule;
#   3. from step 2327 to the end (epoch 32) with paired_l1 40 (the GAN term had pushed dark scenes to an orange cast).
# The shipped file is the element-wise mean of epochs 22, 24, ..., 32 (scripts/average_checkpoints.py): measured with
# scripts/eval_lowlight_model.py it beat every single snapshot (the batch-norm GAN's snapshots swing from epoch to
# epoch: best-level PSNR 20.2 / 19.1 / 19.6 dB at epochs 22 / 28 / 32, the mean 20.1 with the best SSIM and colours).
# Training is deterministic for a seed on one build, but parts of the shipped run ran on earlier builds of the kernels
# (the same arithmetic in other summation orders), so a rerun gives a model of the same recipe, not the same bits.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/monopix-photos}"
mkdir -p "$work"
python3 "$here/scripts/make_photo_dataset.py" "$work/data" --cache "$work/cache"
(cd "$here" && swift build -c release -Xswiftc -enable-testing --product monopix)
bin="$here/.build/release/monopix"
cfg="$here/configs/MonoPix_LowLight_Photos.yaml"
run="$work/checkpoints/MonoPix_LowLight_Photos"
common=(--config "$cfg" --dataroot "$work/data" --checkpoints-dir "$work/checkpoints")
step() { python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print(r[-1]["step"] if r else 0)' "$run/metrics.jsonl" 2>/dev/null || echo 0; }
resume=()
[ -f "$run/latest_train_state.safetensors" ] && resume=(--resume)
if [ "$(step)" -lt 1503 ]; then
    "$bin" train "${common[@]}" "${resume[@]}" --set c1_max=1 --set niter=30 --set niter_decay=20 --set paired_l1=10 --max-steps 1503
    resume=(--resume)
fi
if [ "$(step)" -lt 2326 ]; then
    "$bin" train "${common[@]}" "${resume[@]}" --set paired_l1=10 --max-steps 2326
    resume=(--resume)
fi
"$bin" train "${common[@]}" "${resume[@]}"
python3 "$here/scripts/average_checkpoints.py" "$here/assets/models/lowlight-small/model.safetensors" \
    "$run"/{22,24,26,28,30,32}_net_G_A.safetensors
cp "$cfg" "$here/assets/models/lowlight-small/config.yaml"
echo "wrote $here/assets/models/lowlight-small/model.safetensors (mean of epochs 22-32)"
echo "measure it: python3 scripts/eval_lowlight_model.py --checkpoint assets/models/lowlight-small/model.safetensors \\"
echo "    --config assets/models/lowlight-small/config.yaml --heldout $work/data/heldout --out /tmp/eval --best-max 2"
