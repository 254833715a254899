#!/usr/bin/env python3
"""Peer timings for `monopix bench`: the same full-width MonoPix generator in PyTorch CPU, ONNX Runtime and
OpenVINO (each only where installed: pip install torch onnx onnxruntime openvino), on this machine, now.

Prints one JSON object: {"frames": [{"peer": ..., "size": ..., "seconds": ..., "max_abs_diff_vs_torch": ...,
"mean_abs_diff_vs_torch": ...}]}. The network is scripts/monopix_torch.py's MonoPixGenerator (the reference's
Unet_resize_conv, IsRelativeCtrl=1, Identity norms); the time is the median of --repeats runs after one warm-up.

With --exchange DIR (what `monopix bench --peers` passes) the weights are DIR/weights.pth and each size's input is
DIR/input_<size>.npy, both written by the bench, and PyTorch's output is written to DIR/torch_<size>.npy, so that
every engine, ours included, is compared on one network and one input. Without it: PyTorch's default init, a
uniform input in [-1, 1].
"""
import argparse, json, os, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))

def median_time(fn, repeats):
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, action="append")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--exchange", help="folder with weights.pth and input_<size>.npy; torch_<size>.npy is written there")
    ap.add_argument("--trajectory", type=int, default=0, help="also time N levels of one image (N runs, as predict.py's batch)")
    args = ap.parse_args()
    sizes = args.size or [256, 512]
    import numpy as np
    import torch
    from monopix_torch import MonoPixGenerator
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = MonoPixGenerator({"IsRelativeCtrl": 1}, width_mult=1.0).eval()
    if args.exchange:
        net.load_state_dict(torch.load(os.path.join(args.exchange, "weights.pth"), weights_only=True))
    frames = []
    for s in sizes:
        if args.exchange:
            x = torch.from_numpy(np.load(os.path.join(args.exchange, "input_%d.npy" % s)))
        else:
            x = torch.rand(1, 3, s, s) * 2 - 1
        lvl = torch.full((1, 1, 1, 1), 0.5)
        with torch.no_grad():
            ref = net(x, None, lvl)[0].numpy()
        if args.exchange:
            np.save(os.path.join(args.exchange, "torch_%d.npy" % s), ref.astype(np.float32))
        with torch.no_grad():
            t = median_time(lambda: net(x, None, lvl), args.repeats)
        frames.append({"peer": "pytorch-cpu %s" % torch.__version__, "size": s, "seconds": t, "max_abs_diff_vs_torch": 0.0,
                       "mean_abs_diff_vs_torch": 0.0})
        onnx_path = os.path.join(tempfile.mkdtemp(), "monopix_%d.onnx" % s)
        try:
            class Wrap(torch.nn.Module):
                def __init__(self, g): super().__init__(); self.g = g
                def forward(self, x, lvl): return self.g(x, None, lvl)[0]
            torch.onnx.export(Wrap(net), (x, lvl), onnx_path, input_names=["x", "lvl"], output_names=["y"],
                              opset_version=17, dynamo=False)
        except Exception as e:
            print("onnx export failed: %s" % e, file=sys.stderr); onnx_path = None
        if onnx_path:
            try:
                import onnxruntime as ort
                so = ort.SessionOptions(); so.intra_op_num_threads = args.threads
                sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
                feed = {"x": x.numpy(), "lvl": lvl.numpy()}
                y = sess.run(None, feed)[0]
                t = median_time(lambda: sess.run(None, feed), args.repeats)
                frames.append({"peer": "onnxruntime %s" % ort.__version__, "size": s, "seconds": t,
                               "max_abs_diff_vs_torch": float(np.abs(y - ref).max()),
                               "mean_abs_diff_vs_torch": float(np.abs(y - ref).mean())})
                if args.trajectory:
                    levels = np.linspace(0, 1, args.trajectory).astype(np.float32)
                    def traj():
                        for l in levels: sess.run(None, {"x": feed["x"], "lvl": np.full((1, 1, 1, 1), l, np.float32)})
                    frames.append({"peer": "onnxruntime %s" % ort.__version__, "size": s, "trajectory": args.trajectory,
                                   "seconds": median_time(traj, max(1, args.repeats // 2))})
            except ImportError:
                pass
            try:
                import openvino as ov
                core = ov.Core()
                for precision in ["f32", "bf16"]:
                    cfg = {"INFERENCE_NUM_THREADS": args.threads, "INFERENCE_PRECISION_HINT": precision}
                    try:
                        compiled = core.compile_model(onnx_path, "CPU", cfg)
                    except Exception as e:
                        print("openvino %s: %s" % (precision, e), file=sys.stderr); continue
                    req = compiled.create_infer_request()
                    feed = {"x": x.numpy(), "lvl": lvl.numpy()}
                    y = req.infer(feed)[compiled.output(0)]
                    t = median_time(lambda: req.infer(feed), args.repeats)
                    frames.append({"peer": "openvino %s %s" % (ov.__version__.split("-")[0], precision), "size": s,
                                   "seconds": t, "max_abs_diff_vs_torch": float(np.abs(y - ref).max()),
                                   "mean_abs_diff_vs_torch": float(np.abs(y - ref).mean())})
            except ImportError:
                pass
    print(json.dumps({"threads": args.threads, "frames": frames}))

if __name__ == "__main__":
    main()
