#!/usr/bin/env python3
"""Writes the ACC (domain classifier) fixtures under Tests/Fixtures/acc/ from real PyTorch and torchvision.

    python3 scripts/make_acc_fixtures.py [--out Tests/Fixtures/acc]
    python3 scripts/make_acc_fixtures.py --full /tmp/acc_full     # full-width resnet50, for the opt-in test

The classifier is the reference's `Mymodel` (Evaluations/test_network_ACC.py in lukun199/MonoPix): torchvision's
`resnet50(num_classes=64)` under the key prefix `resnet50.`, then `fcs` = Linear(64, 64), LeakyReLU,
Linear(64, 32), LeakyReLU, Linear(32, 1). The committed fixture keeps torchvision's module classes, forward and key
names but divides every width by 16 (stem 4, bottleneck widths 4, 8, 16, 32, outputs 16 … 128), built by calling
`ResNet._make_layer` with smaller planes; weights are random (seeded), batch-norm statistics measured on the
fixture images. `--full` writes
a real-width `models.resnet50(num_classes=64)` with random weights.

Written: `classifier.pth` (torch.save of the state_dict, zip format), PNG images, and `expected.json` with, per
image, the fc outputs (64), the logit and sigmoid(logit) after the reference's preprocessing
(`(img / 255.0 - 0.5) * 2`, float32, CHW, no resize), and a tiny trajectory folder `traj/` (two images x levels
00..10, plus a `.`-named folder the reference skips) with the reference's score_this / score_all / score_mean for
cal_DomainA 1 and 0 and the per-level fractions (score > 0.5).
"""
import argparse
import json
import os

import numpy as np
import torch
from PIL import Image
from torch import nn
import torchvision.models as models
from torchvision.models.resnet import Bottleneck, ResNet

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class NarrowResNet50(ResNet):
    """torchvision's ResNet (same classes, forward, key names) with every width divided by `div`."""

    def __init__(self, div, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = 64 // div
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(Bottleneck, 64 // div, 3)
        self.layer2 = self._make_layer(Bottleneck, 128 // div, 4, stride=2)
        self.layer3 = self._make_layer(Bottleneck, 256 // div, 6, stride=2)
        self.layer4 = self._make_layer(Bottleneck, 512 // div, 3, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 // div * Bottleneck.expansion, num_classes)


class Mymodel(nn.Module):
    """The reference's classifier (test_network_ACC.py), with the trunk as a parameter."""

    def __init__(self, trunk):
        super().__init__()
        self.resnet50 = trunk
        self.fcs = nn.Sequential(nn.Linear(64, 64), nn.LeakyReLU(), nn.Linear(64, 32), nn.LeakyReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.fcs(self.resnet50(x))


def randomize(model, gen):
    """Random batch-norm affine parameters (fresh ones are the identity) so that the folding is exercised."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + 0.5 * torch.rand(c, generator=gen))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen))
    model.eval()


def preprocess(path):
    """The reference: skimage io.imread (uint8 RGB), (img / 255.0 - 0.5) * 2 in double, float32, CHW."""
    img = np.asarray(Image.open(path).convert('RGB'))
    img = (img / 255.0 - 0.5) * 2
    return torch.tensor(img, dtype=torch.float32).permute(2, 0, 1)


def save_png(path, array):
    Image.fromarray(array.astype(np.uint8), 'RGB').save(path)


def smooth_image(rng, h, w, tint):
    """A smooth random picture (structured enough for the random network to tell images apart)."""
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    out = np.zeros((h, w, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(1, 6, 3)
        out[..., c] = 0.5 + 0.35 * np.sin(2 * np.pi * (fx * x + fy * y) + ph * 3) + tint[c]
    out += rng.normal(0, 0.05, out.shape)
    return np.clip(out * 255, 0, 255).round()


def run(model, x):
    with torch.no_grad():
        fc = model.resnet50(x)
        logit = model.fcs(fc)
        return fc, logit, torch.sigmoid(logit)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(REPO, 'Tests', 'Fixtures', 'acc'))
    ap.add_argument('--full', help='write a full-width resnet50 fixture (no trajectory) into this folder instead')
    args = ap.parse_args()
    out = args.full or args.out
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    rng = np.random.default_rng(2)
    trunk = models.resnet50(num_classes=64) if args.full else NarrowResNet50(16, 64)
    model = Mymodel(trunk)
    randomize(model, gen)

    # The images first: the head is calibrated on them (below) so that the scores spread around 0.5.
    singles = []
    sizes = [(40, 48), (37, 29), (64, 64)] if not args.full else [(96, 80), (64, 72), (70, 70)]
    for i, (h, w) in enumerate(sizes):
        name = 'img{}_{}x{}.png'.format(i, w, h)
        save_png(os.path.join(out, name), smooth_image(rng, h, w, rng.uniform(-0.2, 0.2, 3)))
        singles.append(name)
    trajectory = {}
    if not args.full:
        # A tiny trajectory: the tint drifts with the level, so the scores move along it.
        traj = os.path.join(out, 'traj')
        os.makedirs(os.path.join(traj, 'skipped.folder'), exist_ok=True)
        with open(os.path.join(traj, 'skipped.folder', 'note.txt'), 'w') as f:
            f.write('The reference skips folders whose names contain a dot.\n')
        for image, sign in [('alpha', 1), ('beta', -1)]:
            folder = os.path.join(traj, image)
            os.makedirs(folder, exist_ok=True)
            base = smooth_image(rng, 33, 41, [0, 0, 0])
            paths = []
            for lvl in list(range(11)) + [99]:
                shift = sign * np.array([1, -1, 0.5]) * ((lvl if lvl < 99 else 0) - 5) * 9.0
                path = os.path.join(folder, '{}_enhlvl_{:02d}.png'.format(image, lvl))
                save_png(path, np.clip(base + shift, 0, 255))
                if lvl < 99:
                    paths.append(path)
            trajectory[image] = paths

    # Calibration (same layout, other values). Batch-norm statistics are measured on the fixture images (train-mode
    # passes, cumulative averages), as a trained network's would be, so that the features depend on the image rather
    # than on the biases; then fcs.4 scales and centres the logit so that scores spread around 0.5.
    xs = [preprocess(os.path.join(out, n))[None] for n in singles]
    xs += [preprocess(p)[None] for ps in trajectory.values() for p in ps]
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        model.train()
        for x in xs:
            model(x)
        model.eval()
        logits = torch.cat([model(x) for x in xs])[:, 0]
        # (Not at full width: three images give a tiny spread, and a large gain would amplify float32 rounding.)
        k = torch.tensor(1.0) if args.full else 2.0 / (logits.std() + 1e-6)
        model.fcs[4].weight.mul_(k)
        model.fcs[4].bias.copy_(model.fcs[4].bias * k - (logits.median() * k) + 0.3)
    print('logit scale factor', k.item())
    torch.save(model.state_dict(), os.path.join(out, 'classifier.pth'))

    expected = {'images': {}}
    for name in singles:
        fc, logit, score = run(model, preprocess(os.path.join(out, name))[None])
        expected['images'][name] = {'fc': fc[0].tolist(), 'logit': logit.item(), 'score': score.item()}

    if trajectory:
        per_image = {}
        for image, paths in trajectory.items():
            # As the reference: the eleven levels as one batch.
            _, _, conf = run(model, torch.stack([preprocess(p) for p in paths]))
            per_image[image] = conf
        for cal in (1, 0):
            res_all, this = [], {}
            for image, conf in per_image.items():
                c = conf if cal >= 0.5 else 1 - conf
                this[image] = c.numpy().tolist()
                res_all.append(np.max(c.numpy()).item())
            scores = np.array([[s[0] for s in this[k]] for k in per_image])
            expected['traj_cal{}'.format(cal)] = {
                'score_this': this, 'score_all': res_all, 'score_mean': np.mean(res_all).item(),
                'fraction_target': (scores > 0.5).mean(axis=0).tolist(), 'mean_score': scores.mean(axis=0).tolist()}
    with open(os.path.join(out, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
    print('wrote', out, sorted(os.listdir(out)))


if __name__ == '__main__':
    main()
