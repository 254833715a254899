#!/usr/bin/env python3
"""Kills monopix with SIGKILL at random moments and checks that nothing it wrote is lost (docs/reliability.md).

  python3 scripts/kill_harness.py [predict|train|studio|all] [--trials N] [--seed S] [--keep DIR]

predict: a batch export (`monopix predict`, an exhaustive trajectory of every bundled sample), killed mid-run.
train:   a tiny training run (32-pixel crops, a checkpoint every step, a strip every 3), killed, then resumed with
         --resume by the next trial.
studio:  `monopix studio` in tmux on a 1024x1024 image, painted with mouse drags and scrubbed, killed around the
         debounced session save (a second after the last change).
After every kill: every file under its final name is whole (PNGs decode, checkpoints load with `monopix info`,
metrics.jsonl has only whole JSON lines, the session file parses and its masks are whole), the files of earlier
complete runs are all still there, and temporaries of atomic writes do not pile up (at most one per file a run
writes at once after a kill: predict streams a trajectory's levels band by band, so one per level; none after the
next clean run). The studio must come back showing the level its session file holds.
Exit status 1 on any loss. Needs a release build (make build) and, for the studio, tmux.
"""
import argparse, json, os, random, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reliability_common import (BINARY, ROOT, Tmux, checkpoint_problem, final_files, jsonl_problem, npy_problem,
                                png_problem, shown_level, temporaries, write_png)


class Report:
    def __init__(self, name, open_at_once=1):
        self.name, self.trials, self.losses, self.problems = name, 0, 0, []
        # How many files one run writes at once in a folder: each may leave its temporary when killed.
        self.open_at_once = open_at_once
        self.temps_after_kill_max, self.kills_mid_write, self.temps_final = 0, 0, 0
        self.started = self.ended = time.time()

    def lost(self, what):
        self.losses += 1
        self.problems.append(what)
        print("  LOST: " + what, flush=True)

    def temps(self, folder):
        """Counted per folder: a writer sweeps a folder when it starts writing there, so each folder may hold one."""
        found = temporaries(folder)
        per_folder = {}
        for path in found:
            per_folder[os.path.dirname(path)] = per_folder.get(os.path.dirname(path), 0) + 1
        self.temps_after_kill_max = max([self.temps_after_kill_max] + list(per_folder.values()))
        if found:
            self.kills_mid_write += 1
        return found

    def line(self):
        return ("%-8s trials %3d  files lost %d  killed mid-write %d  temporaries in a folder after a kill (max) %d  "
                "(at most %d)  after the final clean run %d  (%.0f s)" % (self.name, self.trials, self.losses, self.kills_mid_write,
                                                           self.temps_after_kill_max, self.open_at_once, self.temps_final,
                                                           self.ended - self.started))


def kill_after(command, delay, cwd=ROOT):
    """Starts `command`, SIGKILLs it after `delay` seconds; returns its exit status if it ended by itself first."""
    p = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        p.wait(timeout=delay)
        return p.returncode, p.stderr.read().decode(errors="replace")
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stderr.close()
        return None, ""


def checked_pngs(report, folder, seen):
    for path in final_files(folder, ".png"):
        key = (os.path.getsize(path), os.stat(path).st_mtime_ns)
        if seen.get(path) == key:
            continue
        problem = png_problem(path)
        if problem:
            report.lost("%s: %s" % (os.path.relpath(path, folder), problem))
        seen[path] = key


# MARK: - predict

def predict(trials, rng, work):
    levels = 12
    report = Report("predict", open_at_once=levels + 1)   # the trajectory's levels, streamed band by band
    inputs = os.path.join(work, "inputs")
    os.makedirs(inputs)
    for name in os.listdir(os.path.join(ROOT, "assets/samples")):
        if name.endswith(".png"):
            shutil.copy(os.path.join(ROOT, "assets/samples", name), inputs)
    out = os.path.join(work, "results")
    command = [BINARY, "predict", "--input", inputs, "--save-path", out, "--lower", "-1", "--higher", "2",
               "--n-search", str(levels), "--max-size", "192"]
    started = time.time()
    r = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("predict failed: " + r.stderr)
    duration = time.time() - started
    complete = final_files(out, ".png")
    seen = {}
    checked_pngs(report, out, seen)
    print("predict: a whole run writes %d PNGs in %.2f s; killing %d runs at random moments" % (len(complete), duration, trials), flush=True)
    for _ in range(trials):
        report.trials += 1
        status, err = kill_after(command, rng.uniform(0.02, duration * 1.1))
        if status not in (None, 0):
            report.lost("predict exited with %d: %s" % (status, err.strip()[:200]))
        checked_pngs(report, out, seen)
        for path in complete:
            if not os.path.exists(path):
                report.lost("%s disappeared" % os.path.relpath(path, out))
        report.temps(out)
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report.temps_final = len(temporaries(out))
    return report


# MARK: - train

def train(trials, rng, work):
    report = Report("train")
    data = os.path.join(work, "data")
    os.makedirs(os.path.join(data, "trainA_Dark"))
    os.makedirs(os.path.join(data, "trainB_Normal"))
    samples = os.path.join(ROOT, "assets/samples")
    for name in os.listdir(samples):
        if name.endswith(".png"):
            shutil.copy(os.path.join(samples, name), os.path.join(data, "trainA_Dark" if "_dark" in name else "trainB_Normal"))
    checkpoints = os.path.join(work, "checkpoints")
    run = os.path.join(checkpoints, "run")
    # A checkpoint every step, a strip every third, a numbered checkpoint every 5 epochs (2 steps each).
    command = [BINARY, "train", "--config", os.path.join(ROOT, "configs/MonoPix_LowLight_Small.yaml"), "--dataroot", data,
               "--checkpoints-dir", checkpoints, "--name", "run", "--fine-size", "32", "--batch-size", "1",
               "--set", "patchSize=16", "--set", "save_latest_freq=1", "--set", "print_freq=1",
               "--set", "display_freq=3", "--set", "save_epoch_freq=5", "--set", "niter=100000", "--set", "niter_decay=1"]
    state = os.path.join(run, "latest_train_state.safetensors")
    seen_ckpt, seen_png, resumed = {}, {}, 0
    print("train: killing %d runs (each resumes the last) at random moments" % trials, flush=True)
    for _ in range(trials):
        report.trials += 1
        resume = os.path.exists(state)
        resumed += resume
        status, err = kill_after(command + (["--resume"] if resume else []), rng.uniform(0.3, 2.5))
        if status is not None:
            report.lost("train exited by itself with %d: %s" % (status, err.strip()[:300]))
        metrics = os.path.join(run, "metrics.jsonl")
        if os.path.exists(metrics):
            problem = jsonl_problem(metrics)
            if problem:
                report.lost("metrics.jsonl: " + problem)
        for path in final_files(run, ".safetensors"):
            key = (os.path.getsize(path), os.stat(path).st_mtime_ns)
            if seen_ckpt.get(path) == key:
                continue
            problem = checkpoint_problem(path)
            if problem:
                report.lost("%s: %s" % (os.path.basename(path), problem))
            seen_ckpt[path] = key
        for path in seen_ckpt:
            if not os.path.exists(path):
                report.lost("%s disappeared" % os.path.basename(path))
        checked_pngs(report, os.path.join(run, "strips"), seen_png)
        report.temps(run)
    # A clean end: resume for two more steps; the temporaries of the kills must be gone.
    r = subprocess.run(command + ["--resume", "--max-steps", str(1 + max([int(json.loads(l)["step"]) for l in open(os.path.join(run, "metrics.jsonl"))] or [0]))],
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        report.lost("the final resume failed: " + r.stderr.strip()[:300])
    report.temps_final = len(temporaries(run))
    steps = len(open(os.path.join(run, "metrics.jsonl")).read().splitlines())
    print("train: %d resumes, %d steps logged, %d checkpoint files" % (resumed, steps, len(seen_ckpt)), flush=True)
    return report


# MARK: - studio

def studio(trials, rng, work):
    report = Report("studio")
    folder = os.path.join(work, "images")
    os.makedirs(folder)
    # A large image so that a mask save (4 MB of float32) takes long enough to be killed in the middle.
    write_png(os.path.join(folder, "big.png"), 1024, 1024, lambda x, y: (x // 4, y // 4, 96))
    shutil.copy(os.path.join(ROOT, "assets/samples/chelsea_dark.png"), folder)
    sizes = {"big.png": (1024, 1024), "chelsea_dark.png": (212, 320)}
    session = os.path.join(folder, ".monopix-session")
    tmux = Tmux("monopix-kill")
    command = "exec %s studio '%s' --graphics blocks --demo-renderer" % (BINARY, folder)
    restored = 0
    print("studio: killing %d studios around their session save" % trials, flush=True)
    try:
        for _ in range(trials):
            report.trials += 1
            saved = None
            if os.path.exists(os.path.join(session, "session.json")):
                saved = json.load(open(os.path.join(session, "session.json")))
            tmux.start(command)
            screen = tmux.wait_for(lambda s: "exact" in s and shown_level(s) is not None, what="the first frame")
            if saved is not None:
                entry = next(e for e in saved["images"] if e["name"] == saved["current"])
                if shown_level(screen) != "%.2f" % entry["level"]:
                    report.lost("restored level %s, the session says %.2f" % (shown_level(screen), entry["level"]))
                else:
                    restored += 1
            pid = tmux.pane_pid()
            for _ in range(rng.randint(1, 4)):
                action = rng.random()
                if action < 0.5:
                    x, y = rng.randint(4, 70), rng.randint(4, 30)
                    stroke = "\x1b[<0;%d;%dM" % (x, y)
                    for _ in range(rng.randint(2, 8)):
                        x, y = max(2, min(80, x + rng.randint(-6, 6))), max(3, min(34, y + rng.randint(-3, 3)))
                        stroke += "\x1b[<32;%d;%dM" % (x, y)
                    tmux.literal(stroke + "\x1b[<0;%d;%dm" % (x, y))
                elif action < 0.8:
                    tmux.keys(*rng.choice([",", ".", "<", ">"]) * rng.randint(1, 5))
                elif action < 0.9:
                    tmux.keys("n")
                else:
                    tmux.keys(rng.choice(["c", "u", "C-i"]))
            # The save comes a second after the last change; kill before, during or after it.
            time.sleep(rng.uniform(0.7, 1.6))
            os.kill(pid, signal.SIGKILL)
            tmux.stop()
            path = os.path.join(session, "session.json")
            if os.path.exists(path):
                try:
                    data = json.load(open(path))
                    for entry in data["images"]:
                        if entry.get("mask"):
                            problem = npy_problem(os.path.join(session, entry["mask"]), sizes[entry["name"]])
                            if problem:
                                report.lost("%s: %s" % (entry["mask"], problem))
                except (ValueError, KeyError) as e:
                    report.lost("session.json: %s" % e)
            for name in os.listdir(session) if os.path.isdir(session) else []:
                if name.endswith(".npy") and not name.startswith("."):
                    problem = npy_problem(os.path.join(session, name))
                    if problem:
                        report.lost("%s: %s" % (name, problem))
            report.temps(session)
        # A clean end: open and quit; the temporaries of the kills must be gone.
        tmux.start(command)
        tmux.wait_for(lambda s: "exact" in s, what="the first frame")
        pid = tmux.pane_pid()
        tmux.keys("q")
        deadline = time.time() + 30
        while os.path.exists("/proc/%d" % pid) and time.time() < deadline:
            time.sleep(0.05)
        tmux.stop()
        report.temps_final = len(temporaries(session))
    finally:
        tmux.stop()
    print("studio: %d restarts restored the saved level" % restored, flush=True)
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default="all", choices=["predict", "train", "studio", "all"])
    ap.add_argument("--trials", type=int, default=40, help="kills per scenario")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder, removed)")
    args = ap.parse_args()
    if not os.access(BINARY, os.X_OK):
        sys.exit("no %s: build it first (make build)" % BINARY)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print("seed %d (--seed %d repeats this run)" % (seed, seed), flush=True)
    rng = random.Random(seed)
    work = args.keep or tempfile.mkdtemp(prefix="monopix-kill-")
    os.makedirs(work, exist_ok=True)
    reports = []
    try:
        for name, scenario in [("predict", predict), ("train", train), ("studio", studio)]:
            if args.scenario in (name, "all"):
                if name == "studio" and shutil.which("tmux") is None:
                    print("studio: skipped (no tmux)")
                    continue
                folder = os.path.join(work, name)
                shutil.rmtree(folder, ignore_errors=True)
                os.makedirs(folder)
                reports.append(scenario(args.trials, rng, folder))
                reports[-1].ended = time.time()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    for r in reports:
        print(r.line())
    failed = any(r.losses or r.temps_final or r.temps_after_kill_max > r.open_at_once for r in reports)
    print("FAILED" if failed else "OK: nothing lost, no temporaries left")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
