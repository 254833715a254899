#!/usr/bin/env python3
"""Writes the FID fixtures under Tests/Fixtures/fid/ from real PyTorch, torchvision and pytorch-fid.

    python3 scripts/make_fid_fixtures.py [--out Tests/Fixtures/fid]
    python3 scripts/make_fid_fixtures.py --full /tmp/fid_full     # full-width network, for the opt-in test

The network is pytorch-fid's (`pytorch_fid.inception`): `fid_inception_v3()` is torchvision's `Inception3`
(num_classes=1008, aux_logits=False) with Mixed_5b/5c/5d = FIDInceptionA, Mixed_6b..6e = FIDInceptionC,
Mixed_7b = FIDInceptionE_1, Mixed_7c = FIDInceptionE_2 (pool3 features: `InceptionV3([3], resize_input=True,
normalize_input=True)`), whose weights file `pt_inception-2015-12-05-6726825d.pth` is that module's state_dict.
Here the weights are random (seeded), not downloaded: the committed fixture keeps pytorch-fid's module classes,
forward and key names but every BasicConv2d has a sixteenth of its channels (the input's 3 stay; pool3 is 128-d,
fc 63 outputs), batch-norm statistics measured on the fixture images. `--full` keeps the real widths.

Written: `inception.pth` (torch.save of the state_dict, zip format; legacy format with `--full`); `full_keys.json` (every key of the real-width
state_dict with its shape, for the loader's key check); PNG images with their pool3 features; a trajectory folder
`traj/` (three images x levels 00..10 and the input 99, plus a `.`-named folder the reference skips) and a data root
`data/trainA_Cat`, `data/trainB_Dog` laid out as the reference's DATA_ROOT; and `expected.json`: per single image its
features, per selection (start level, domain) the selected files, mu / sigma summaries and the FID
(`pytorch_fid.fid_score.calculate_frechet_distance`, scipy.linalg.sqrtm), and a well-conditioned statistics case
(8-d Gaussians from 60 samples each) with scipy's FID.
"""
import argparse
import json
import os

import numpy as np
import torch
from PIL import Image
from torch import nn
import torchvision.transforms.functional as TF
import pytorch_fid.inception as pfi
from pytorch_fid.fid_score import calculate_frechet_distance
from torchvision.models.inception import BasicConv2d

from make_acc_fixtures import smooth_image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIV = 16


def fid_inception(div):
    """pytorch-fid's `fid_inception_v3()` without the download; every BasicConv2d narrowed by `div`."""
    inception = pfi._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    inception.Mixed_5b = pfi.FIDInceptionA(192, pool_features=32)
    inception.Mixed_5c = pfi.FIDInceptionA(256, pool_features=64)
    inception.Mixed_5d = pfi.FIDInceptionA(288, pool_features=64)
    inception.Mixed_6b = pfi.FIDInceptionC(768, channels_7x7=128)
    inception.Mixed_6c = pfi.FIDInceptionC(768, channels_7x7=160)
    inception.Mixed_6d = pfi.FIDInceptionC(768, channels_7x7=160)
    inception.Mixed_6e = pfi.FIDInceptionC(768, channels_7x7=192)
    inception.Mixed_7b = pfi.FIDInceptionE_1(1280)
    inception.Mixed_7c = pfi.FIDInceptionE_2(2048)
    if div > 1:
        for m in inception.modules():
            if isinstance(m, BasicConv2d):
                c = m.conv
                cin = c.in_channels if c.in_channels == 3 else c.in_channels // div
                m.conv = nn.Conv2d(cin, c.out_channels // div, kernel_size=c.kernel_size, stride=c.stride,
                                   padding=c.padding, bias=False)
                m.bn = nn.BatchNorm2d(c.out_channels // div, eps=0.001)
        inception.fc = nn.Linear(2048 // div, 1008 // div)
    return inception


def make_model(div, gen):
    torch.manual_seed(int(torch.randint(0, 2**31, (1,), generator=gen)))
    inception = fid_inception(div)
    with torch.no_grad():
        for m in inception.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + 0.5 * torch.rand(c, generator=gen))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen))
    # pytorch-fid's wrapper around it (pool3 only), as its fid_score uses it.
    saved = pfi.fid_inception_v3
    pfi.fid_inception_v3 = lambda: inception
    try:
        wrapper = pfi.InceptionV3([3], resize_input=True, normalize_input=True)
    finally:
        pfi.fid_inception_v3 = saved
    return inception, wrapper.eval()


def load(path):
    """pytorch-fid's ImagePathDataset with its ToTensor transform: RGB in [0, 1], CHW."""
    return TF.to_tensor(Image.open(path).convert('RGB'))


def features(wrapper, paths):
    with torch.no_grad():
        return np.concatenate([wrapper(load(p)[None])[0][:, :, 0, 0].numpy() for p in paths]).astype(np.float64)


def save_png(path, array):
    Image.fromarray(np.clip(array, 0, 255).round().astype(np.uint8), 'RGB').save(path)


def summary(mu, sigma):
    return {'mu_head': mu[:8].tolist(), 'mu_sum': float(mu.sum()), 'sigma_trace': float(np.trace(sigma)),
            'sigma_sum': float(sigma.sum()), 'sigma_00': float(sigma[0, 0]), 'sigma_01': float(sigma[0, 1])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(REPO, 'Tests/Fixtures/fid'))
    ap.add_argument('--full', default=None, help='write a full-width network and a few images here instead')
    args = ap.parse_args()
    out = args.full or args.out
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(19)
    rng = np.random.default_rng(19)
    div = 1 if args.full else DIV
    inception, wrapper = make_model(div, gen)

    if not args.full:
        full = fid_inception(1).state_dict()
        with open(os.path.join(out, 'full_keys.json'), 'w') as f:
            json.dump({k: list(v.shape) for k, v in full.items()}, f, indent=0)

    singles = []
    for i, (h, w) in enumerate([(40, 48), (37, 29), (64, 64)] if not args.full else [(40, 48), (64, 64)]):
        name = 'img{}_{}x{}.png'.format(i, w, h)
        save_png(os.path.join(out, name), smooth_image(rng, h, w, rng.uniform(-0.2, 0.2, 3)))
        singles.append(name)

    traj, real = {}, {}
    if not args.full:
        # A results folder as `monopix predict --inf-type exhaustive --n-search 10` writes it; the reference reads
        # sorted sub-folders without a '.', levels start_lvl..10.
        tdir = os.path.join(out, 'traj')
        for image, sign in [('alpha', 1), ('beta', -1), ('gamma', 0.5), ('skipped.folder', 1)]:
            folder = os.path.join(tdir, image)
            os.makedirs(folder, exist_ok=True)
            base = smooth_image(rng, 21, 24, [0, 0, 0])
            for lvl in list(range(11)) + [99]:
                shift = sign * np.array([1, -1, 0.5]) * ((lvl if lvl < 99 else 0) - 5) * 9.0
                path = os.path.join(folder, '{}_enhlvl_{:02d}.png'.format(image, lvl))
                save_png(path, base + shift)
            if '.' not in image:
                traj[image] = folder
        for domain, tint in [('trainA_Cat', [0.15, 0, -0.1]), ('trainB_Dog', [-0.1, 0.05, 0.15])]:
            folder = os.path.join(out, 'data', domain)
            os.makedirs(folder, exist_ok=True)
            real[domain] = []
            for i in range(4):
                path = os.path.join(folder, 'r{}.png'.format(i))
                save_png(path, smooth_image(rng, 22 + 3 * i, 26 - i, tint))
                real[domain].append(path)

    # Batch-norm statistics measured on the fixture images (train-mode passes, cumulative averages), as a trained
    # network's would be: features then depend on the image rather than on the biases.
    calib = [os.path.join(out, n) for n in singles] + sum(real.values(), [])
    calib += [os.path.join(f, '{}_enhlvl_{:02d}.png'.format(k, l)) for k, f in traj.items() for l in (0, 5, 10)]
    with torch.no_grad():
        for m in inception.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        wrapper.train()
        for p in calib:
            wrapper(load(p)[None])
        wrapper.eval()
    # The real weights file dates from 2019 (before torch's zip format): --full writes the legacy format, so that the
    # opt-in test reads that one too.
    torch.save(inception.state_dict(), os.path.join(out, 'inception.pth'), _use_new_zipfile_serialization=not args.full)

    expected = {'dimension': 2048 // div, 'images': {}}
    for name in singles:
        expected['images'][name] = features(wrapper, [os.path.join(out, name)])[0].tolist()

    if traj:
        rel = lambda p: os.path.relpath(p, out)
        cases = []
        for start, domain_a in [(0, True), (10, True), (10, False), (5, True), (5, False)]:
            files = [os.path.join(f, '{}_enhlvl_{:02d}.png'.format(k, l)) for k, f in sorted(traj.items())
                     for l in range(start, 11)]
            # The reference: start 0 (whole trajectory) against both domains, else domain A (cal_DomainA 1) or B.
            reals = real['trainA_Cat'] + real['trainB_Dog'] if start == 0 else real['trainA_Cat' if domain_a else 'trainB_Dog']
            f1, f2 = features(wrapper, reals), features(wrapper, files)
            mu1, s1 = f1.mean(0), np.cov(f1, rowvar=False)
            mu2, s2 = f2.mean(0), np.cov(f2, rowvar=False)
            fid = float(calculate_frechet_distance(mu1, s1, mu2, s2))
            # The eigen route the Swift code takes, for comparison in the log.
            l, v = np.linalg.eigh(s1)
            r = (v * np.sqrt(np.clip(l, 0, None))) @ v.T
            eig = np.linalg.eigvalsh(r @ s2 @ r)
            fid_eig = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(eig, 0, None)).sum())
            print('start', start, 'A' if domain_a else 'B', 'FID scipy', fid, 'eigen', fid_eig)
            style = 'AFHQ' if start == 0 else ('Cat' if domain_a else 'Dog')
            cases.append({'start_level': start, 'domain_a': domain_a, 'fid': fid, 'fid_eigen': fid_eig,
                          'file_name': 'FID_{}_startlvl_{}_{}.json'.format(style, start, 'wholetraj' if start == 0 else ''),
                          'generated': [rel(p) for p in files], 'real': sorted(rel(p) for p in reals),
                          'real_stats': summary(mu1, s1), 'generated_stats': summary(mu2, s2)})
        expected['trajectory'] = cases

        # Well-conditioned statistics: 8-d, 60 samples each, given to the Swift test as features.
        a = rng.normal(0, 1, (60, 8)) @ rng.normal(0, 0.5, (8, 8)) + rng.normal(0, 1, 8)
        b = rng.normal(0, 1, (60, 8)) @ rng.normal(0, 0.5, (8, 8)) + rng.normal(0, 1, 8)
        a, b = a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)
        expected['statistics'] = {
            'a': a.astype(np.float32).tolist(), 'b': b.astype(np.float32).tolist(),
            'mu_a': a.mean(0).tolist(), 'sigma_a': np.cov(a, rowvar=False).tolist(),
            'fid': float(calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)))}
    with open(os.path.join(out, 'expected.json'), 'w') as f:
        json.dump(expected, f)
    print('wrote', out, sorted(os.listdir(out)))


if __name__ == '__main__':
    main()
