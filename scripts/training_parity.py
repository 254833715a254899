#!/usr/bin/env python3
"""Golden fixtures for the trainer: two reference training steps of MonoPix's models in real PyTorch.

    python3 scripts/training_parity.py [--out Tests/Fixtures/training]

For each variant a tiny model (ngf_mult 1/16) is built with fixed seeds, then two `optimize_parameters` steps run on
fixed inputs with fixed contrastive intensities and no pool randomness (the pools are not yet full, so they return
their input). The losses are restated from the reference (lukun199/MonoPix models/cycle_gan_model_Ctrl.py,
models/lowlight_model.py, models/networks.py GANLoss and NLayerDiscriminator); the generator is
scripts/monopix_torch.py's MonoPixGenerator, itself checked against the reference class.

The stored results are those of a float64 run of the same steps (the truth), with PyTorch float32's own error
against it alongside (`tolerance.*`): with instance norms at these widths float32 gradients carry a few percent of
rounding error in PyTorch too, so "as close as PyTorch's float32" is the meaningful bar.

Output, one safetensors file per variant (written by hand: 8-byte little-endian header length, JSON header, raw
little-endian float32 data), with `__metadata__` holding the format name, version, the options and this command:
  input.real_A, input.real_B [N,3,H,W]; input.step{1,2}.levels_A2B / levels_B2A [2N]  (cycle)
  input.input_img, input.step{k}.levels, input.step{k}.patches [1+patchD_3, 2] (top, left)  (low-light)
  init.{net}.{key}                initial weights and buffers
  step{k}.loss.{name}             [] every loss term after step k
  step1.grad.{net}.{key}          gradients of step 1 as the optimizer used them (after grad_clip; G step for
                                  generators, D steps for discriminators)
  step1.weights.{net}.{key}       weights and buffers after step 1 (step 2: G_A and D_A only)
  tolerance.{any step* name}      [] PyTorch float32's relative error on that tensor
Deterministic on CPU with one thread. Needs torch and numpy.
"""
import argparse
import itertools
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from monopix_torch import MonoPixGenerator, scaled_widths  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORMAT = "monopix-training-parity"
VERSION = "1"


# ------------------------------------------------------------------------------------------------ networks

class PatchDiscriminator(nn.Module):
    """NLayerDiscriminator restated: 4x4 convs, padding 2; norm after every conv but the first and last."""

    def __init__(self, ndf, n_layers, norm):
        super().__init__()

        def make_norm(c):
            if norm == "batch":
                return nn.BatchNorm2d(c)
            if norm == "instance":
                return nn.InstanceNorm2d(c)
            return nn.Identity()

        seq = [nn.Conv2d(3, ndf, 4, stride=2, padding=2), nn.LeakyReLU(0.2)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=2, padding=2), make_norm(ndf * mult), nn.LeakyReLU(0.2)]
        prev, mult = mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=1, padding=2), make_norm(ndf * mult), nn.LeakyReLU(0.2)]
        seq += [nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=2)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


def weights_init(m):
    """networks.weights_init: conv weights N(0, 0.02), batch-norm scales N(1, 0.02) and shifts 0."""
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        m.weight.data.normal_(0.0, 0.02)
    elif name.find("BatchNorm2d") != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


# ------------------------------------------------------------------------------------------------ losses

def lsgan(x, real):
    return F.mse_loss(x, torch.full_like(x, 1.0 if real else 0.0))


def mono(x, margin):
    return torch.clamp(margin - (x[1::2] - x[::2]), 0., 100.).pow(2).mean()


def mono_df(x, margin):
    return torch.clamp(margin - (x[::2] - x[1::2]), 0., 100.).pow(2).mean()


def pairs(x):
    """util.smaple_n_times(2, x): each image twice, adjacent."""
    return x.unsqueeze(1).expand(-1, 2, *x.shape[1:]).reshape(x.shape[0] * 2, *x.shape[1:])


# ------------------------------------------------------------------------------------------------ cycleCtrl

def cycle_step(o, nets, opts, real_A, real_B, lv_A2B, lv_B2A):
    """One CycleGANCtrlModel.optimize_parameters (pools not full: they return their input)."""
    G_A, G_B, D_A, D_B = nets["G_A"], nets["G_B"], nets["D_A"], nets["D_B"]
    opt_G, opt_DA, opt_DB = opts
    m = o["margin"]
    real_A, real_B = pairs(real_A), pairs(real_B)
    lA = lv_A2B.view(-1, 1, 1, 1)
    lB = lv_B2A.view(-1, 1, 1, 1)
    L = {}

    opt_G.zero_grad()
    fake_B, _ = G_A(real_A, None, lA)
    pred = D_A(fake_B)
    L["G_A"] = lsgan(pred, True)
    L["MONO_GA2B"] = mono(pred, m)
    L["MONO_GA2B_DF"] = mono_df(D_B(fake_B), m) if o["cal_G_Df"] else torch.zeros(())
    fake_A, _ = G_B(real_B, None, lB)
    pred = D_B(fake_A)
    L["G_B"] = lsgan(pred, True)
    L["MONO_GB2A"] = mono(pred, m)
    L["MONO_GB2A_DF"] = mono_df(D_A(fake_A), m) if o["cal_G_Df"] else torch.zeros(())
    rec_A, _ = G_B(fake_B, None, lA)
    L["Cyc_A"] = F.l1_loss(rec_A, real_A) * o["lambda_A"]
    rec_B, _ = G_A(fake_A, None, lB)
    L["Cyc_B"] = F.l1_loss(rec_B, real_B) * o["lambda_B"]
    loss_G = (L["G_A"] + L["G_B"] + L["Cyc_A"] + L["Cyc_B"] + L["MONO_GA2B"] * o["lambda_mono"]
              + L["MONO_GB2A"] * o["lambda_mono"] + L["MONO_GA2B_DF"] * o["lambda_df"] + L["MONO_GB2A_DF"] * o["lambda_df"])
    loss_G.backward()
    grads = {"G_A": {k: p.grad.clone() for k, p in G_A.named_parameters()},
             "G_B": {k: p.grad.clone() for k, p in G_B.named_parameters()}}
    opt_G.step()

    fake_B, fake_A = fake_B.detach(), fake_A.detach()

    def d_basic(D, real, fake, df=False):
        pred_real = D(real)
        pred_fake = D(fake)
        loss = (lsgan(pred_real, True) + lsgan(pred_fake, False)) * 0.5
        return loss, (mono_df(pred_fake, m) if df else mono(pred_fake, m))

    for name, D, opt, real, fake, other in (("A", D_A, opt_DA, real_B, fake_B, fake_A), ("B", D_B, opt_DB, real_A, fake_A, fake_B)):
        opt.zero_grad()
        loss_D, mono_D = d_basic(D, real, fake)
        total = loss_D + mono_D * o["lambda_mono"]
        if o["cal_D_Df"]:
            _, df = d_basic(D, real, other, df=True)
            total = total + df * o["lambda_df"]
        else:
            df = torch.zeros(())
        total.backward()
        grads["D_" + name] = {k: p.grad.clone() for k, p in D.named_parameters()}
        opt.step()
        L["D_" + name] = loss_D
        L[("MONO_DA2B" if name == "A" else "MONO_DB2A")] = mono_D
        L["MONO_D%s_Df" % name] = df
    L["monoidtA"] = torch.zeros(())
    L["monoidtB"] = torch.zeros(())
    return {k: v.item() for k, v in L.items()}, grads


def simulate_cycle(o, gopts, dnorm, dtype):
    """Builds the nets from fixed seeds (in float32, as the reference initialises), converts them to `dtype`, and runs
    two steps. Returns every tensor the fixture stores, keyed by fixture name."""
    torch.manual_seed(1234)
    ndf = max(1, int(round(64 * o["ngf_mult"])))
    nets = {"G_A": MonoPixGenerator(gopts, width_mult=o["ngf_mult"]),
            "G_B": MonoPixGenerator(gopts, width_mult=o["ngf_mult"]),
            "D_A": PatchDiscriminator(ndf, o["n_layers_D"], dnorm),
            "D_B": PatchDiscriminator(ndf, o["n_layers_D"], dnorm)}
    for n in nets.values():
        n.apply(weights_init)
        n.train()
    g = torch.Generator().manual_seed(99)
    n, h, w = 2, 32, 32
    # Smooth images in [-1, 1]: domain A darker, domain B brighter.
    real_A = (F.avg_pool2d(torch.rand(n, 3, h + 3, w + 3, generator=g), 4, stride=1) * 1.2 - 1.0).clamp(-1, 1)
    real_B = (F.avg_pool2d(torch.rand(n, 3, h + 3, w + 3, generator=g), 4, stride=1) * 1.2 - 0.2).clamp(-1, 1)

    # Contrastive pairs as the reference draws them: c1 ~ U(0,1), c2 between c1 and 1.
    def draw():
        c1 = torch.rand(n, generator=g)
        u = torch.rand(n, generator=g)
        c2 = c1 + (c1 - 1).abs() * u * torch.where(c1 > 1, -1.0, 1.0)
        return torch.stack([c1, c2], 1).reshape(-1)
    levels = [(draw(), draw()) for _ in range(2)]

    out = {"input.real_A": real_A, "input.real_B": real_B}
    for k, (a2b, b2a) in enumerate(levels, 1):
        out["input.step%d.levels_A2B" % k] = a2b
        out["input.step%d.levels_B2A" % k] = b2a
    for name, net in nets.items():
        for key, t in net.state_dict().items():
            out["init.%s.%s" % (name, key)] = t.detach().clone()
    for net in nets.values():
        net.to(dtype)
    opt_G = torch.optim.Adam(itertools.chain(nets["G_A"].parameters(), nets["G_B"].parameters()), lr=o["lr"], betas=(o["beta1"], 0.9))
    opt_DA = torch.optim.Adam(nets["D_A"].parameters(), lr=o["lr"], betas=(o["beta1"], 0.9))
    opt_DB = torch.optim.Adam(nets["D_B"].parameters(), lr=o["lr"], betas=(o["beta1"], 0.9))
    for k, (a2b, b2a) in enumerate(levels, 1):
        losses, grads = cycle_step(o, nets, (opt_G, opt_DA, opt_DB), real_A.to(dtype), real_B.to(dtype), a2b.to(dtype), b2a.to(dtype))
        for lname, v in losses.items():
            out["step%d.loss.%s" % (k, lname)] = torch.tensor(v, dtype=torch.float64)
        if k == 1:
            for net, gd in grads.items():
                for key, t in gd.items():
                    out["step1.grad.%s.%s" % (net, key)] = t
        for net, model in nets.items():
            if k == 2 and net not in ("G_A", "D_A"):
                continue  # keep the fixture small: step 2 checks one generator and one discriminator
            for key, t in model.state_dict().items():
                out["step%d.weights.%s.%s" % (k, net, key)] = t.detach().clone()
    return out


# ------------------------------------------------------------------------------------------------ cycleCtrl_lowlight

def attention(x):
    """The low-light gray attention of an image batch in [-1, 1]: 1 - (0.299 r + 0.587 g + 0.114 b) / 2, r = x_r + 1."""
    r, g, b = x[:, 0:1] + 1, x[:, 1:2] + 1, x[:, 2:3] + 1
    return 1. - (0.299 * r + 0.587 * g + 0.114 * b) / 2.


def clip_(params, c):
    """util.clip_gradient: every gradient element clamped to [-c, c]."""
    if c:
        for p in params:
            p.grad.data.clamp_(-c, c)


def lowlight_step(o, nets, opts, real_A, real_B, input_img, levels, offsets):
    """One LowLightModel.optimize_parameters without the VGG term: G with gray attention, global D_A, patch D_P over
    1 + patchD_3 crops (one location for the whole batch each; `offsets` = [(top, left), ...])."""
    G, D_A, D_P = nets["G_A"], nets["D_A"], nets["D_P"]
    m, ps, k = o["margin"], o["patchSize"], o["patchD_3"] + 1
    real_A, real_B, inp = pairs(real_A), pairs(real_B), pairs(input_img)
    fake_B, _ = G(inp, attention(inp), levels.view(-1, 1, 1, 1))
    crop = lambda t: [t[:, :, y:y + ps, x:x + ps] for (y, x) in offsets]
    fake_p, real_p = crop(fake_B), crop(real_B)
    L = {}

    opts["G_A"].zero_grad()
    pred = D_A(fake_B)
    G_A, mono_G = lsgan(pred, True), mono(pred, m)
    if o["patchD"]:
        lg, lm = 0, 0
        for fp in fake_p:
            pp = D_P(fp)
            lg, lm = lg + lsgan(pp, True), lm + mono(pp, m)
        if o["patchD_3"] > 0:
            G_A, mono_G = G_A + lg / k, mono_G + lm / k
        else:
            G_A = G_A + lg
    (G_A + o["lambda_mono"] * mono_G).backward()
    clip_(G.parameters(), o["grad_clip"])
    grads = {"G_A": {n: p.grad.clone() for n, p in G.named_parameters()}}
    opts["G_A"].step()
    L["G_A"], L["mono_G"], L["vgg"] = G_A, mono_G, torch.zeros(())

    def d_basic(D, real, fake):
        pred_real, pred_fake = D(real), D(fake.detach())
        return (lsgan(pred_real, True) + lsgan(pred_fake, False)) * 0.5, mono(pred_fake, m)

    opts["D_A"].zero_grad()
    L["D_A"], L["monoDA"] = d_basic(D_A, real_B, fake_B)
    (L["D_A"] + o["lambda_mono"] * L["monoDA"]).backward()
    clip_(D_A.parameters(), o["grad_clip"])
    grads["D_A"] = {n: p.grad.clone() for n, p in D_A.named_parameters()}
    opts["D_A"].step()

    L["D_P"], L["monoDP"] = torch.zeros(()), torch.zeros(())
    if o["patchD"]:
        opts["D_P"].zero_grad()
        ld, lm = 0, 0
        for rp, fp in zip(real_p, fake_p):
            a, b = d_basic(D_P, rp, fp)
            ld, lm = ld + a, lm + b
        if o["patchD_3"] > 0:
            ld, lm = ld / k, lm / k
        (ld + o["lambda_mono"] * lm).backward()
        clip_(D_P.parameters(), o["grad_clip"])
        grads["D_P"] = {n: p.grad.clone() for n, p in D_P.named_parameters()}
        opts["D_P"].step()
        L["D_P"], L["monoDP"] = ld, lm
    return {key: v.item() for key, v in L.items()}, grads


def make_cycle(variant, out_dir):
    """The truth is the float64 run; `tolerance.{name}` holds PyTorch float32's own error against it (max |f32 - f64|
    over the tensor, relative to max |f64|), the yardstick for any float32 implementation."""
    name, gnorm, dnorm, transcode = variant
    o = dict(margin=0.5, lambda_A=10.0, lambda_B=10.0, lambda_mono=1.0, lambda_df=0.25, cal_G_Df=1, cal_D_Df=1,
             lr=0.0001, beta1=0.5, ngf_mult=1 / 16, n_layers_D=3)
    gopts = dict(IsRelativeCtrl=1, Gnorm=gnorm, transcode=int(transcode), out_tanh=1, skip=1)
    f32 = simulate_cycle(o, gopts, dnorm, torch.float32)
    f64 = simulate_cycle(o, gopts, dnorm, torch.float64)
    finish(name, out_dir, f32, f64, dict(o, Gnorm=gnorm, Dnorm=dnorm, transcode=int(transcode)), "cycleCtrl")


# ------------------------------------------------------------------------------------------------ cycleCtrl_lowlight

def attention(x):
    """The low-light gray attention of an image batch in [-1, 1]: 1 - (0.299 r + 0.587 g + 0.114 b) / 2, r = x_r + 1."""
    r, g, b = x[:, 0:1] + 1, x[:, 1:2] + 1, x[:, 2:3] + 1
    return 1. - (0.299 * r + 0.587 * g + 0.114 * b) / 2.


def clip_(params, c):
    """util.clip_gradient: every gradient element clamped to [-c, c]."""
    if c:
        for p in params:
            p.grad.data.clamp_(-c, c)


def lowlight_step(o, nets, opts, real_A, real_B, input_img, levels, offsets):
    """One LowLightModel.optimize_parameters without the VGG term: G with gray attention, global D_A, patch D_P over
    1 + patchD_3 crops (one location for the whole batch each; `offsets` = [(top, left), ...])."""
    G, D_A, D_P = nets["G_A"], nets["D_A"], nets["D_P"]
    m, ps, k = o["margin"], o["patchSize"], o["patchD_3"] + 1
    real_A, real_B, inp = pairs(real_A), pairs(real_B), pairs(input_img)
    fake_B, _ = G(inp, attention(inp), levels.view(-1, 1, 1, 1))
    crop = lambda t: [t[:, :, y:y + ps, x:x + ps] for (y, x) in offsets]
    fake_p, real_p = crop(fake_B), crop(real_B)
    L = {}

    opts["G_A"].zero_grad()
    pred = D_A(fake_B)
    G_A, mono_G = lsgan(pred, True), mono(pred, m)
    if o["patchD"]:
        lg, lm = 0, 0
        for fp in fake_p:
            pp = D_P(fp)
            lg, lm = lg + lsgan(pp, True), lm + mono(pp, m)
        if o["patchD_3"] > 0:
            G_A, mono_G = G_A + lg / k, mono_G + lm / k
        else:
            G_A = G_A + lg
    (G_A + o["lambda_mono"] * mono_G).backward()
    clip_(G.parameters(), o["grad_clip"])
    grads = {"G_A": {n: p.grad.clone() for n, p in G.named_parameters()}}
    opts["G_A"].step()
    L["G_A"], L["mono_G"], L["vgg"] = G_A, mono_G, torch.zeros(())

    def d_basic(D, real, fake):
        pred_real, pred_fake = D(real), D(fake.detach())
        return (lsgan(pred_real, True) + lsgan(pred_fake, False)) * 0.5, mono(pred_fake, m)

    opts["D_A"].zero_grad()
    L["D_A"], L["monoDA"] = d_basic(D_A, real_B, fake_B)
    (L["D_A"] + o["lambda_mono"] * L["monoDA"]).backward()
    clip_(D_A.parameters(), o["grad_clip"])
    grads["D_A"] = {n: p.grad.clone() for n, p in D_A.named_parameters()}
    opts["D_A"].step()

    L["D_P"], L["monoDP"] = torch.zeros(()), torch.zeros(())
    if o["patchD"]:
        opts["D_P"].zero_grad()
        ld, lm = 0, 0
        for rp, fp in zip(real_p, fake_p):
            a, b = d_basic(D_P, rp, fp)
            ld, lm = ld + a, lm + b
        if o["patchD_3"] > 0:
            ld, lm = ld / k, lm / k
        (ld + o["lambda_mono"] * lm).backward()
        clip_(D_P.parameters(), o["grad_clip"])
        grads["D_P"] = {n: p.grad.clone() for n, p in D_P.named_parameters()}
        opts["D_P"].step()
        L["D_P"], L["monoDP"] = ld, lm
    return {key: v.item() for key, v in L.items()}, grads


def make_cycle(variant, out_dir):
    """The truth is the float64 run; `tolerance.{name}` holds PyTorch float32's own error against it (max |f32 - f64|
    over the tensor, relative to max |f64|), the yardstick for any float32 implementation."""
    name, gnorm, dnorm, transcode = variant
    o = dict(margin=0.5, lambda_A=10.0, lambda_B=10.0, lambda_mono=1.0, lambda_df=0.25, cal_G_Df=1, cal_D_Df=1,
             lr=0.0001, beta1=0.5, ngf_mult=1 / 16, n_layers_D=3)
    gopts = dict(IsRelativeCtrl=1, Gnorm=gnorm, transcode=int(transcode), out_tanh=1, skip=1)
    f32 = simulate_cycle(o, gopts, dnorm, torch.float32)
    f64 = simulate_cycle(o, gopts, dnorm, torch.float64)
    tensors = {}
    for key, truth in f64.items():
        tensors[key] = truth if truth.dtype == torch.int64 else truth.to(torch.float32)
        if key.startswith("step"):
            a, b = f32[key].double(), truth.double()
            scale = max(float(b.abs().max()), 1e-30)
            tensors["tolerance." + key] = torch.tensor(float((a - b).abs().max()) / scale)
    for k in (1, 2):
        print("%s step %d: %s" % (name, k, "  ".join("%s=%.5f" % (key.split(".")[-1], float(v))
                                                     for key, v in tensors.items() if key.startswith("step%d.loss." % k))))
    worst = max((float(v), key) for key, v in tensors.items() if key.startswith("tolerance.step1.grad"))
    print("  PyTorch float32 vs float64, worst gradient: %.2e (%s)" % worst)
    meta = dict(format=FORMAT, version=VERSION, regenerate="python3 scripts/training_parity.py", model="cycleCtrl",
                options=json.dumps(dict(o, Gnorm=gnorm, Dnorm=dnorm, transcode=int(transcode))), torch=torch.__version__,
                truth="float64 run; tolerance.* = PyTorch float32's relative error against it")
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), tensors, meta)


def simulate_lowlight(o, gopts, dtype):
    """Two LowLightModel steps from fixed seeds, as simulate_cycle does for the cycle model."""
    torch.manual_seed(4321)
    ndf = max(1, int(round(64 * o["ngf_mult"])))
    nets = {"G_A": MonoPixGenerator(gopts, width_mult=o["ngf_mult"]),
            "D_A": PatchDiscriminator(ndf, o["n_layers_D"], o["Dnorm"]),
            "D_P": PatchDiscriminator(ndf, o["n_layers_patchD"], o["Dnorm"])}
    for n in nets.values():
        n.apply(weights_init)
        n.train()
    g = torch.Generator().manual_seed(77)
    n, h, w = 2, 32, 32
    real_A = (F.avg_pool2d(torch.rand(n, 3, h + 3, w + 3, generator=g), 4, stride=1) * 0.8 - 1.0).clamp(-1, 1)
    real_B = (F.avg_pool2d(torch.rand(n, 3, h + 3, w + 3, generator=g), 4, stride=1) * 1.2 - 0.2).clamp(-1, 1)
    input_img = ((real_A + 1) / 2 / 2.5) * 2 - 1  # the `vary` darkening by 250 / 100

    def draw():
        c1 = torch.rand(n, generator=g)
        u = torch.rand(n, generator=g)
        c2 = c1 + (c1 - 1).abs() * u * torch.where(c1 > 1, -1.0, 1.0)
        return torch.stack([c1, c2], 1).reshape(-1)
    steps = []
    for _ in range(2):
        offsets = [(int(torch.randint(0, h - o["patchSize"], (1,), generator=g)), int(torch.randint(0, w - o["patchSize"], (1,), generator=g)))
                   for _ in range(1 + o["patchD_3"])]
        steps.append((draw(), offsets))

    out = {"input.real_A": real_A, "input.real_B": real_B, "input.input_img": input_img}
    for k, (levels, offsets) in enumerate(steps, 1):
        out["input.step%d.levels" % k] = levels
        out["input.step%d.patches" % k] = torch.tensor(offsets, dtype=torch.float32)
    for name, net in nets.items():
        for key, t in net.state_dict().items():
            out["init.%s.%s" % (name, key)] = t.detach().clone()
    for net in nets.values():
        net.to(dtype)
    opts = {k: torch.optim.Adam(v.parameters(), lr=o["lr"], betas=(o["beta1"], 0.9)) for k, v in nets.items()}
    for k, (levels, offsets) in enumerate(steps, 1):
        losses, grads = lowlight_step(o, nets, opts, real_A.to(dtype), real_B.to(dtype), input_img.to(dtype), levels.to(dtype), offsets)
        for lname, v in losses.items():
            out["step%d.loss.%s" % (k, lname)] = torch.tensor(v, dtype=torch.float64)
        if k == 1:
            for net, gd in grads.items():
                for key, t in gd.items():
                    out["step1.grad.%s.%s" % (net, key)] = t
        for net, model in nets.items():
            for key, t in model.state_dict().items():
                out["step%d.weights.%s.%s" % (k, net, key)] = t.detach().clone()
    return out


# ------------------------------------------------------------------------------------------------ cycleCtrl_noise

def noise_step(o, nets, opts, real_A, real_B, levels, offsets, noise):
    """One NoiseModel.optimize_parameters without VGG and monoidt: `noise` is the generator's noise map (the
    reference draws it inside forward with randn_like); the pool is not full, so D_A sees the fakes themselves."""
    G, D_A, D_P = nets["G_A"], nets["D_A"], nets["D_PA"]
    m, ps, k = o["margin"], o["patchSize"], o["patchD_3"] + 1
    real_A, real_B = pairs(real_A), pairs(real_B)
    L = {}
    opts["G_A"].zero_grad()
    fake_B, _ = G(real_A, None, levels.view(-1, 1, 1, 1), noise=noise)
    pred = D_A(fake_B)
    L["G_A"], L["MONO_A2B"] = lsgan(pred, True), mono(pred, m)
    crop = lambda t: [t[:, :, y:y + ps, x:x + ps] for (y, x) in offsets]
    fake_p, real_p = crop(fake_B), crop(real_B)
    lg, lm = 0, 0
    for fp in fake_p:
        pp = D_P(fp)
        lg, lm = lg + lsgan(pp, True), lm + mono(pp, m)
    lg, lm = lg / k, lm / k
    L["Res_A2B"] = F.l1_loss((real_A - fake_B).mean((-1, -2)), torch.zeros_like(real_A[:, :, 0, 0]))
    total = L["G_A"] + lg + L["MONO_A2B"] * o["lambda_mono"] + lm * o["lambda_mono"] + L["Res_A2B"] * o["lambda_res"]
    total.backward()
    clip_(G.parameters(), o["grad_clip"])
    grads = {"G_A": {n: p.grad.clone() for n, p in G.named_parameters()}}
    opts["G_A"].step()

    def d_basic(D, real, fake):
        pred_real, pred_fake = D(real), D(fake.detach())
        return (lsgan(pred_real, True) + lsgan(pred_fake, False)) * 0.5, mono(pred_fake, m)

    opts["D_A"].zero_grad()
    L["D_A"], mono_d = d_basic(D_A, real_B, fake_B)
    (L["D_A"] + mono_d * o["lambda_mono"]).backward()
    clip_(D_A.parameters(), o["grad_clip"])
    grads["D_A"] = {n: p.grad.clone() for n, p in D_A.named_parameters()}
    opts["D_A"].step()

    opts["D_PA"].zero_grad()
    ld, lmd = 0, 0
    for rp, fp in zip(real_p, fake_p):
        a, b = d_basic(D_P, rp, fp)
        ld, lmd = ld + a, lmd + b
    ((ld / k) + (lmd / k) * o["lambda_mono"]).backward()
    clip_(D_P.parameters(), o["grad_clip"])
    grads["D_PA"] = {n: p.grad.clone() for n, p in D_P.named_parameters()}
    opts["D_PA"].step()
    L["vgg"], L["monoidtA"] = torch.zeros(()), torch.zeros(())
    return {key: v.item() for key, v in L.items()}, grads


def simulate_noise(o, gopts, dtype):
    torch.manual_seed(999)
    ndf = max(1, int(round(64 * o["ngf_mult"])))
    nets = {"G_A": MonoPixGenerator(gopts, width_mult=o["ngf_mult"]),
            "D_A": PatchDiscriminator(ndf, o["n_layers_D"], o["Dnorm"]),
            "D_PA": PatchDiscriminator(ndf, o["n_layers_patchD"], o["Dnorm"])}
    for n in nets.values():
        n.apply(weights_init)
        n.train()
    g = torch.Generator().manual_seed(55)
    n, h, w = 2, 32, 32
    real_A = (F.avg_pool2d(torch.rand(n, 3, h + 3, w + 3, generator=g), 4, stride=1) * 1.6 - 0.8).clamp(-1, 1)
    real_B = (real_A + 0.3 * torch.randn(n, 3, h, w, generator=g)).clamp(-1, 1)
    steps = []
    for _ in range(2):
        c1 = torch.rand(n, generator=g)
        u = torch.rand(n, generator=g)
        levels = torch.stack([c1, c1 + (c1 - 1).abs() * u * torch.where(c1 > 1, -1.0, 1.0)], 1).reshape(-1)
        offsets = [(int(torch.randint(0, h - o["patchSize"], (1,), generator=g)), int(torch.randint(0, w - o["patchSize"], (1,), generator=g)))
                   for _ in range(1 + o["patchD_3"])]
        steps.append((levels, offsets, torch.randn(2 * n, 1, h, w, generator=g)))
    out = {"input.real_A": real_A, "input.real_B": real_B}
    for k, (levels, offsets, noise) in enumerate(steps, 1):
        out["input.step%d.levels" % k] = levels
        out["input.step%d.patches" % k] = torch.tensor(offsets, dtype=torch.float32)
        out["input.step%d.noise" % k] = noise
    for name, net in nets.items():
        for key, t in net.state_dict().items():
            out["init.%s.%s" % (name, key)] = t.detach().clone()
    for net in nets.values():
        net.to(dtype)
    opts = {k: torch.optim.Adam(v.parameters(), lr=o["lr"], betas=(o["beta1"], 0.9)) for k, v in nets.items()}
    for k, (levels, offsets, noise) in enumerate(steps, 1):
        losses, grads = noise_step(o, nets, opts, real_A.to(dtype), real_B.to(dtype), levels.to(dtype), offsets, noise.to(dtype))
        for lname, v in losses.items():
            out["step%d.loss.%s" % (k, lname)] = torch.tensor(v, dtype=torch.float64)
        if k == 1:
            for net, gd in grads.items():
                for key, t in gd.items():
                    out["step1.grad.%s.%s" % (net, key)] = t
        for net, model in nets.items():
            for key, t in model.state_dict().items():
                out["step%d.weights.%s.%s" % (k, net, key)] = t.detach().clone()
    return out


def make_noise(name, out_dir):
    o = dict(margin=0.5, lambda_mono=1.0, lambda_res=10.0, lr=0.0001, beta1=0.5, ngf_mult=1 / 16, n_layers_D=3,
             n_layers_patchD=2, Dnorm="Identity", patchD=1, patchD_3=1, patchSize=16, grad_clip=0.05)
    gopts = dict(IsRelativeCtrl=1, UseNoise=1, Gnorm="Identity", out_tanh=1, skip=1)
    f32 = simulate_noise(o, gopts, torch.float32)
    f64 = simulate_noise(o, gopts, torch.float64)
    finish(name, out_dir, f32, f64, dict(o, UseNoise=1), "cycleCtrl_noise")


def make_lowlight(name, out_dir):
    o = dict(margin=0.33, lambda_mono=1.0, lr=0.0001, beta1=0.5, ngf_mult=1 / 16, n_layers_D=4, n_layers_patchD=3,
             Dnorm="Identity", patchD=1, patchD_3=2, patchSize=16, grad_clip=0.05)
    gopts = dict(IsRelativeCtrl=1, Gnorm="batch", self_attention=1, times_residual=1, out_tanh=0, skip=1)
    f32 = simulate_lowlight(o, gopts, torch.float32)
    f64 = simulate_lowlight(o, gopts, torch.float64)
    finish(name, out_dir, f32, f64, dict(o, Gnorm="batch"), "cycleCtrl_lowlight")


def finish(name, out_dir, f32, f64, options, model):
    """Writes the float64 truth with PyTorch float32's relative error beside every result tensor."""
    tensors = {}
    for key, truth in f64.items():
        tensors[key] = truth if truth.dtype == torch.int64 else truth.to(torch.float32)
        if key.startswith("step"):
            a, b = f32[key].double(), truth.double()
            scale = max(float(b.abs().max()), 1e-30)
            tensors["tolerance." + key] = torch.tensor(float((a - b).abs().max()) / scale)
    for k in (1, 2):
        print("%s step %d: %s" % (name, k, "  ".join("%s=%.5f" % (key.split(".")[-1], float(v))
                                                     for key, v in tensors.items() if key.startswith("step%d.loss." % k))))
    worst = max((float(v), key) for key, v in tensors.items() if key.startswith("tolerance.step1.grad"))
    print("  PyTorch float32 vs float64, worst gradient: %.2e (%s)" % worst)
    meta = dict(format=FORMAT, version=VERSION, regenerate="python3 scripts/training_parity.py", model=model,
                options=json.dumps(options), torch=torch.__version__,
                truth="float64 run; tolerance.* = PyTorch float32's relative error against it")
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), tensors, meta)


# ------------------------------------------------------------------------------------------------ file format

def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for key in sorted(tensors):
        t = tensors[key].detach().contiguous()
        if t.dtype == torch.int64:
            arr, dtype = t.numpy().astype("<i8"), "I64"
        else:
            arr, dtype = t.to(torch.float32).numpy().astype("<f4"), "F32"
        data = arr.tobytes()
        header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    print("wrote %s (%d tensors, %d bytes)" % (os.path.relpath(path, REPO), len(tensors), 8 + len(h) + offset))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "Tests", "Fixtures", "training"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for variant in [("cycle_identity", "Identity", "Identity", False),
                    ("cycle_instance", "instance", "instance", True)]:
        make_cycle(variant, args.out)
    make_lowlight("lowlight_batch_attention", args.out)
    make_noise("noise_patch", args.out)


if __name__ == "__main__":
    main()
