#!/usr/bin/env python3
"""A PyTorch re-statement of MonoPix's generator (`Unet_resize_conv`, model name `sid_unet_resize_ctrl`)
with a width multiplier, used to produce the golden fixtures for the Swift implementation.

At width_mult = 1 its state_dict has exactly the reference's key names, order and shapes, and its outputs
equal the reference class's (see `--verify-against-reference`). Semantics: /work/shared/docs/method.md, sections 1-3.

Differences from the reference, all on purpose:
  * `noise` (when UseNoise) is passed explicitly, a standard-normal tensor [N,1,Hp,Wp] at the *padded* size,
    instead of being drawn inside forward with randn_like (it is drawn with torch.randn when None).
  * the intensity `level` is a scalar per image ([N,1,1,1], a float, or a 0-dim tensor) or a per-pixel map
    [N,1,H,W]; the kind is inferred from its shape instead of the reference's `elment_same` flag.
  * forward always returns (out, latent) (the reference returns only `out` when skip == 0, and adds the
    visualisation tensor when vis_IN).
  * UseNoise works without IsRelativeCtrl (the reference would fail there: randn_like of the raw level).

Usage:
  python3 scripts/monopix_torch.py --verify-against-reference /work/.mirror/lukun199+MonoPix/repo
(PATH may be a bare git dir or a checkout; networks.py is read from it, with `lib.nn` stubbed.)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

DIVIDE = 16
BASE_WIDTHS = (32, 64, 128, 256, 512)

DEFAULT_OPTS = dict(
    IsRelativeCtrl=0,
    self_attention=0,
    times_residual=0,
    UseNoise=0,
    transcode=0,
    use_avgpool=0,
    tanh=0,
    out_tanh=1,
    skip=1.0,
    Gnorm="Identity",
)


def full_opts(opts):
    """Reference defaults (options/base_options.py; IsRelativeCtrl has none there, 0 here) overlaid by `opts`
    (a dict or any object with attributes)."""
    if not isinstance(opts, dict):
        opts = {k: getattr(opts, k) for k in DEFAULT_OPTS if hasattr(opts, k)}
    o = dict(DEFAULT_OPTS)
    o.update({k: v for k, v in opts.items() if k in DEFAULT_OPTS})
    return o


def scaled_widths(width_mult):
    return tuple(max(1, int(round(w * width_mult))) for w in BASE_WIDTHS)


def pad_amounts(h, w, divide=DIVIDE):
    """(left, right, top, bottom) reflection padding that brings h and w up to multiples of `divide`:
    before = floor(total / 2), after = total - before."""
    tw = (divide - w % divide) % divide
    th = (divide - h % divide) % divide
    return tw // 2, tw - tw // 2, th // 2, th - th // 2


def pad_reflect(x):
    left, right, top, bottom = pad_amounts(x.shape[2], x.shape[3])
    if left or right or top or bottom:
        x = F.pad(x, (left, right, top, bottom), mode="reflect")
    return x, (left, right, top, bottom)


def crop_back(x, pads):
    left, right, top, bottom = pads
    h, w = x.shape[2], x.shape[3]
    return x[:, :, top:h - bottom, left:w - right]


def make_norm(kind, channels):
    if kind == "Identity":
        return nn.Identity()
    if kind == "batch":
        return nn.BatchNorm2d(channels, eps=1e-5, affine=True)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, eps=1e-5, affine=False, track_running_stats=False)
    raise ValueError("Gnorm must be Identity, batch or instance, not %r" % (kind,))


class MonoPixGenerator(nn.Module):
    def __init__(self, opts=None, width_mult=1.0):
        super().__init__()
        self.o = o = full_opts(opts or {})
        self.width_mult = width_mult
        w1, w2, w3, w4, w5 = self.widths = scaled_widths(width_mult)
        self.in_channels = 3 + int(o["IsRelativeCtrl"]) + int(o["UseNoise"]) + int(bool(o["self_attention"]))
        g = o["Gnorm"]

        def conv(cin, cout, k=3):
            return nn.Conv2d(cin, cout, k, padding=k // 2)

        def lrelu():
            return nn.LeakyReLU(0.2)

        # Registration order follows the reference, so state_dict() lists keys in the same order.
        self.conv1_1 = conv(self.in_channels, w1)
        if o["transcode"]:
            self.LReLU1_1 = nn.Sequential(lrelu(), nn.Conv2d(w1, w1, 1), lrelu())
        else:
            self.LReLU1_1 = lrelu()
        self.norm1_1 = make_norm(g, w1)
        self.conv1_2 = conv(w1, w1)
        self.LReLU1_2 = lrelu()
        self.norm1_2 = make_norm(g, w1)

        self.conv2_1 = conv(w1, w2)
        self.LReLU2_1 = lrelu()
        self.norm2_1 = make_norm(g, w2)
        self.conv2_2 = conv(w2, w2)
        self.LReLU2_2 = lrelu()
        self.norm2_2 = make_norm(g, w2)

        self.conv3_1 = conv(w2, w3)
        self.LReLU3_1 = lrelu()
        self.norm3_1 = make_norm(g, w3)
        self.conv3_2 = conv(w3, w3)
        self.LReLU3_2 = lrelu()
        self.norm3_2 = make_norm(g, w3)

        self.conv4_1 = conv(w3, w4)
        self.LReLU4_1 = lrelu()
        self.norm4_1 = make_norm(g, w4)
        self.conv4_2 = conv(w4, w4)
        self.LReLU4_2 = lrelu()
        self.norm4_2 = make_norm(g, w4)

        self.conv5_1 = conv(w4, w5)
        self.LReLU5_1 = lrelu()
        self.norm5_1 = make_norm(g, w5)
        self.conv5_2 = conv(w5, w5)
        self.LReLU5_2 = lrelu()
        self.norm5_2 = make_norm(g, w5)

        # decoder: deconv{k} is a plain 3x3 conv applied after a bilinear x2 upsample
        self.deconv5 = conv(w5, w4)
        self.conv6_1 = conv(2 * w4, w4)
        self.LReLU6_1 = lrelu()
        self.norm6_1 = make_norm(g, w4)
        self.conv6_2 = conv(w4, w4)
        self.LReLU6_2 = lrelu()
        self.norm6_2 = make_norm(g, w4)

        self.deconv6 = conv(w4, w3)
        self.conv7_1 = conv(2 * w3, w3)
        self.LReLU7_1 = lrelu()
        self.norm7_1 = make_norm(g, w3)
        self.conv7_2 = conv(w3, w3)
        self.LReLU7_2 = lrelu()
        self.norm7_2 = make_norm(g, w3)

        self.deconv7 = conv(w3, w2)
        self.conv8_1 = conv(2 * w2, w2)
        self.LReLU8_1 = lrelu()
        self.norm8_1 = make_norm(g, w2)
        self.conv8_2 = conv(w2, w2)
        self.LReLU8_2 = lrelu()
        self.norm8_2 = make_norm(g, w2)

        self.deconv8 = conv(w2, w1)
        self.conv9_1 = conv(2 * w1, w1)
        self.LReLU9_1 = lrelu()
        self.norm9_1 = make_norm(g, w1)
        self.conv9_2 = conv(w1, w1)
        self.LReLU9_2 = lrelu()

        self.conv10 = nn.Conv2d(w1, 3, 1)

        pool = nn.AvgPool2d if o["use_avgpool"] == 1 else nn.MaxPool2d
        self.pool = pool(2)

    @staticmethod
    def _up(x):
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, input, gray=None, level=None, noise=None):
        o = self.o
        x, pads = pad_reflect(input)
        n, _, hp, wp = x.shape
        att = bool(o["self_attention"])
        if att:
            gray, _ = pad_reflect(gray)

        chans = [x]
        if o["IsRelativeCtrl"]:
            lv = level if torch.is_tensor(level) else torch.tensor(float(level), dtype=x.dtype)
            if lv.dim() == 4 and lv.shape[2:] == input.shape[2:] and input.shape[2:] != (1, 1):
                lv, _ = pad_reflect(lv)  # per-pixel map, padded like the image
            else:
                lv = torch.ones_like(x[:, :1]) * (lv.reshape(-1, 1, 1, 1) if lv.dim() > 0 else lv)  # scalar
            chans.append(lv)
        if o["UseNoise"]:
            if noise is None:
                noise = torch.randn(n, 1, hp, wp, dtype=x.dtype)
            assert tuple(noise.shape) == (n, 1, hp, wp), "noise must be [N,1,Hp,Wp] = %s" % ((n, 1, hp, wp),)
            chans.append(noise)
        if att:
            chans.append(gray)
            gray_2 = F.max_pool2d(gray, 2)
            gray_3 = F.max_pool2d(gray_2, 2)
            gray_4 = F.max_pool2d(gray_3, 2)
            gray_5 = F.max_pool2d(gray_4, 2)
        inp = torch.cat(chans, 1)

        h = self.norm1_1(self.LReLU1_1(self.conv1_1(inp)))
        conv1 = self.norm1_2(self.LReLU1_2(self.conv1_2(h)))
        h = self.pool(conv1)
        h = self.norm2_1(self.LReLU2_1(self.conv2_1(h)))
        conv2 = self.norm2_2(self.LReLU2_2(self.conv2_2(h)))
        h = self.pool(conv2)
        h = self.norm3_1(self.LReLU3_1(self.conv3_1(h)))
        conv3 = self.norm3_2(self.LReLU3_2(self.conv3_2(h)))
        h = self.pool(conv3)
        h = self.norm4_1(self.LReLU4_1(self.conv4_1(h)))
        conv4 = self.norm4_2(self.LReLU4_2(self.conv4_2(h)))
        h = self.pool(conv4)
        h = self.norm5_1(self.LReLU5_1(self.conv5_1(h)))
        if att:
            h = h * gray_5
        conv5 = self.norm5_2(self.LReLU5_2(self.conv5_2(h)))

        if att:
            conv4 = conv4 * gray_4
        up6 = torch.cat([self.deconv5(self._up(conv5)), conv4], 1)
        h = self.norm6_1(self.LReLU6_1(self.conv6_1(up6)))
        conv6 = self.norm6_2(self.LReLU6_2(self.conv6_2(h)))

        if att:
            conv3 = conv3 * gray_3
        up7 = torch.cat([self.deconv6(self._up(conv6)), conv3], 1)
        h = self.norm7_1(self.LReLU7_1(self.conv7_1(up7)))
        conv7 = self.norm7_2(self.LReLU7_2(self.conv7_2(h)))

        if att:
            conv2 = conv2 * gray_2
        up8 = torch.cat([self.deconv7(self._up(conv7)), conv2], 1)
        h = self.norm8_1(self.LReLU8_1(self.conv8_1(up8)))
        conv8 = self.norm8_2(self.LReLU8_2(self.conv8_2(h)))

        if att:
            conv1 = conv1 * gray
        up9 = torch.cat([self.deconv8(self._up(conv8)), conv1], 1)
        h = self.norm9_1(self.LReLU9_1(self.conv9_1(up9)))
        conv9 = self.LReLU9_2(self.conv9_2(h))

        latent = self.conv10(conv9)
        if o["times_residual"] and att:
            latent = latent * gray
        if o["tanh"]:
            latent = torch.tanh(latent)
        if o["skip"]:
            out = latent + x[:, :3] * o["skip"]
        else:
            out = latent
        if o["out_tanh"]:
            out = torch.tanh(out)
        return crop_back(out, pads), crop_back(latent, pads)


# ----------------------------------------------------------------------------------------------------------
# Verification against the reference class

def _networks_source(path):
    if os.path.isfile(os.path.join(path, "models", "networks.py")):
        with open(os.path.join(path, "models", "networks.py")) as f:
            return f.read()
    return subprocess.check_output(["git", "-C", path, "show", "HEAD:models/networks.py"], text=True)


def load_reference_networks(path):
    """Imports the reference models/networks.py with `lib.nn` stubbed (SynchronizedBatchNorm2d -> BatchNorm2d)
    and `.cuda` made a no-op."""
    tmp = tempfile.mkdtemp(prefix="monopix_ref_")
    with open(os.path.join(tmp, "ref_networks.py"), "w") as f:
        f.write(_networks_source(path))
    lib = types.ModuleType("lib")
    lib_nn = types.ModuleType("lib.nn")
    lib_nn.SynchronizedBatchNorm2d = nn.BatchNorm2d
    lib.nn = lib_nn
    sys.modules.setdefault("lib", lib)
    sys.modules.setdefault("lib.nn", lib_nn)
    nn.Module.cuda = lambda self, *a, **k: self
    sys.path.insert(0, tmp)
    try:
        import ref_networks
    finally:
        sys.path.remove(tmp)
    return ref_networks


def randomize_(model, gen):
    """Large-ish random weights (so every layer matters), random biases and, for batch norm, random
    running statistics and affine parameters."""
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                a = (6.0 / fan_in) ** 0.5
                m.weight.copy_((torch.rand(m.weight.shape, generator=gen) * 2 - 1) * a)
                m.bias.copy_((torch.rand(m.bias.shape, generator=gen) * 2 - 1) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.3)
                m.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=gen))
                m.num_batches_tracked.fill_(int(torch.randint(1, 100000, (1,), generator=gen)))


def verify_against_reference(path):
    torch.set_num_threads(1)
    ref = load_reference_networks(path)
    gen = torch.Generator().manual_seed(1234)
    cases = [
        dict(IsRelativeCtrl=1, Gnorm="Identity", out_tanh=1, skip=1),
        dict(IsRelativeCtrl=1, Gnorm="instance", out_tanh=1, skip=1),
        dict(IsRelativeCtrl=1, Gnorm="batch", self_attention=1, times_residual=1, out_tanh=0, skip=1),
        dict(IsRelativeCtrl=1, Gnorm="Identity", UseNoise=1, out_tanh=1, skip=1),
        dict(IsRelativeCtrl=1, Gnorm="instance", transcode=1, use_avgpool=1, out_tanh=1, skip=1),
        dict(IsRelativeCtrl=1, Gnorm="Identity", tanh=1, out_tanh=1, skip=1),
        dict(IsRelativeCtrl=0, Gnorm="batch", out_tanh=1, skip=0.7),
    ]
    H, W = 40, 56
    ok = True
    for case in cases:
        mine = MonoPixGenerator(case, 1.0).eval()
        randomize_(mine, gen)
        o = full_opts(case)
        ns = types.SimpleNamespace(vis_IN=0, **o)
        ns.self_attention = bool(o["self_attention"])
        ns.times_residual = bool(o["times_residual"])
        ns.tanh = bool(o["tanh"])
        theirs = ref.Unet_resize_conv(ns, o["skip"] > 0, ref.get_norm_layer(o["Gnorm"]), o["UseNoise"]).eval()
        sd = mine.state_dict()
        assert list(sd.keys()) == list(theirs.state_dict().keys()), "key order differs"
        theirs.load_state_dict(sd, strict=True)

        x = torch.rand(2, 3, H, W, generator=gen) * 2 - 1
        rgb1 = x + 1
        gray = (1 - (0.299 * rgb1[:, 0] + 0.587 * rgb1[:, 1] + 0.114 * rgb1[:, 2]) / 2).unsqueeze(1)
        lvl = torch.tensor([0.3, 1.7]).view(2, 1, 1, 1)
        lmap = torch.rand(2, 1, H, W, generator=gen) * 2 - 0.5
        hp, wp = H + sum(pad_amounts(H, W)[2:]), W + sum(pad_amounts(H, W)[:2])
        noise = torch.randn(2, 1, hp, wp, generator=gen)
        real_randn_like = torch.randn_like
        try:
            torch.randn_like = lambda t, *a, **k: noise
            with torch.no_grad():
                for kind, lv, es in (("scalar", lvl, True), ("map", lmap, False)):
                    if not o["IsRelativeCtrl"] and kind == "map":
                        continue
                    a_out, a_lat = mine(x, gray, lv, noise if o["UseNoise"] else None)
                    b = theirs(x.clone(), gray.clone(), lv.clone(), es)
                    b_out, b_lat = b if isinstance(b, tuple) else (b, None)
                    d1 = (a_out - b_out).abs().max().item()
                    d2 = (a_lat - b_lat).abs().max().item() if b_lat is not None else 0.0
                    good = a_out.shape == b_out.shape and d1 == 0.0 and d2 == 0.0
                    ok &= good
                    if o["UseNoise"]:  # negative control: the noise channel must matter
                        c_out, _ = mine(x, gray, lv, torch.zeros_like(noise))
                        ok &= (c_out - b_out).abs().max().item() > 1e-3
                    print("%-5s %-6s %s  max|out diff| %.3g  max|latent diff| %.3g  out std %.3f"
                          % ("OK" if good else "FAIL", kind, case, d1, d2, a_out.std().item()))
        finally:
            torch.randn_like = real_randn_like
    print("verification against reference:", "PASSED (bit-identical)" if ok else "FAILED")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify-against-reference", metavar="PATH",
                    help="MonoPix reference repository (bare git dir or checkout)")
    args = ap.parse_args()
    if args.verify_against_reference:
        sys.exit(0 if verify_against_reference(args.verify_against_reference) else 1)
    ap.print_help()


if __name__ == "__main__":
    main()
