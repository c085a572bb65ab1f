#!/usr/bin/python3
"""Side-by-side training/inference throughput: `layerlens bench` against PyTorch on the same models.

The PyTorch models are built from the same JSON presets (resources/models, sequential or graph
files) by scripts/llgraph.py, with the same batch, thread count, optimizer and float32 data, timed
the same way (images/s over at least --seconds of training steps, then of inference passes).

Each model runs --rounds rounds; a round times PyTorch once and LayerLens once, alternating which
goes first, so the noise of a shared machine falls on both sides alike. PyTorch builds and warms up
its model and optimizer once and keeps them across rounds; LayerLens is one `layerlens bench
--rounds 1` process per round (it loads the model and warms up itself). Each side's figure is the
median of its rounds, the ratio is LayerLens / PyTorch of those medians, and the spreads are the
minimum and maximum over the rounds (of each side's images/s, and of the per-round ratios).

A model one side cannot build or load shows "n/a" and the error's first line; the others still
run. --markdown FILE also writes the table as Markdown under a line naming the date, CPU, threads,
rounds, seconds, PyTorch version, allocator setting and, when <build>/bench/fma_peak exists next to
the executable's build directory, the fp32 FMA peak. --tuned-allocator runs both sides with
MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 (glibc malloc reads them at process start,
so the script re-executes itself with them set; the LayerLens processes inherit them). Without
it PyTorch pays page faults on every step on some machines. Needs Debian's python3-torch together
with libopenblas0-pthread (`scripts/install-deps.sh --with-torch`).

usage: scripts/bench_vs_pytorch.py [--threads 2] [--rounds 5] [--seconds 1] [--exe PATH]
                                   [--markdown FILE] [--tuned-allocator] [model:batch ...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ["lenet5:100", "mlp-cifar:300", "vgg-cifar:32", "alexnet-mnist:64", "resnet20-cifar:128",
           "mobilenet-cifar:128"]
TUNED_ALLOCATOR = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "17179869184"}


def timed_rate(step, batch, seconds):
    """Images/s of `step` repeated for at least `seconds` (at least once)."""
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n * batch / dt


class TorchBench:
    """One model in PyTorch, built and warmed up once; round() times training then inference.
    Raises ValueError (a layer PyTorch lacks here), OSError (no such preset) or RuntimeError."""

    def __init__(self, name, batch, threads):
        import torch
        import llgraph  # imports torch itself: only after main() has checked that it is installed
        torch.set_num_threads(threads)
        torch.manual_seed(1)
        with open(os.path.join(ROOT, "resources", "models", name + ".json")) as f:
            doc = json.load(f)
        self.torch, self.batch = torch, batch
        self.model = model = llgraph.build(doc)
        d = doc.get("defaults", {})
        self.x = torch.randn([batch] + doc["input"])
        if doc.get("loss") in ("logistic", "non_ce"):
            self.y = torch.tensor([float(i % 2) for i in range(batch)]).unsqueeze(1)
            self.loss_fn = torch.nn.BCEWithLogitsLoss()
        else:
            self.y = torch.tensor([i % 10 for i in range(batch)])
            self.loss_fn = torch.nn.CrossEntropyLoss()
        opt_name = d.get("optimizer", "sgd")
        if opt_name == "adam":
            self.opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        else:
            self.opt = torch.optim.SGD(model.parameters(), lr=1e-4,
                                       momentum=0.9 if opt_name != "sgd" else 0,
                                       nesterov=opt_name == "nesterov")
        model.train()
        for _ in range(3):
            self.train_step()
        model.eval()
        self.infer_step()

    def train_step(self):
        self.opt.zero_grad()
        self.loss_fn(self.model(self.x), self.y).backward()
        self.opt.step()

    def infer_step(self):
        with self.torch.no_grad():
            self.model(self.x)

    def round(self, seconds):
        self.model.train()
        train = timed_rate(self.train_step, self.batch, seconds)
        self.model.eval()
        return train, timed_rate(self.infer_step, self.batch, seconds)


def layerlens_round(exe, name, batch, threads, seconds):
    """One `layerlens bench --rounds 1` process: (train, infer) images/s. Raises RuntimeError."""
    p = subprocess.run([exe, "bench", "--model", name, "--batch", str(batch), "--threads", str(threads),
                        "--format", "json", "--rounds", "1", "--seconds", str(seconds)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines()
        raise RuntimeError(lines[0] if lines else f"{exe} bench exited with {p.returncode}")
    j = json.loads(p.stdout)
    return j["train_images_per_s"], j["infer_images_per_s"]


def first_line(e):
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


def bench_model(exe, name, batch, threads, rounds, seconds):
    """Alternating rounds of both sides. Returns per-round lists {"torch": [(train, infer), ...],
    "ll": [...]} (None for a side that failed) and the errors' first lines."""
    errors = []
    try:
        tb = TorchBench(name, batch, threads)
    except (ValueError, OSError, RuntimeError, KeyError) as e:
        tb = None
        errors.append(f"PyTorch: {first_line(e)}")
    res = {"torch": [] if tb else None, "ll": []}
    for r in range(rounds):
        for side in (("torch", "ll") if r % 2 == 0 else ("ll", "torch")):
            if res[side] is None:
                continue
            try:
                if side == "torch":
                    res[side].append(tb.round(seconds))
                else:
                    res[side].append(layerlens_round(exe, name, batch, threads, seconds))
            except (ValueError, OSError, RuntimeError, KeyError) as e:
                res[side] = None  # a side that fails in any round is n/a: a crash is not noise
                errors.append(f"{'PyTorch' if side == 'torch' else 'LayerLens'}: {first_line(e)}")
        if res["torch"] is None and res["ll"] is None:
            break
    return res, errors


def summarize(res):
    """For training (0) and inference (1): (torch, ll, ratio) where torch and ll are
    (median, min, max) of images/s or None, and ratio is (ratio of medians, min, max of the
    per-round ratios) or None."""
    out = []
    for k in (0, 1):
        cols = []
        for side in ("torch", "ll"):
            v = None if res[side] is None else [t[k] for t in res[side]]
            cols.append(None if not v else (statistics.median(v), min(v), max(v)))
        t, ll = cols
        ratio = None
        if t and ll:
            per_round = [b[k] / a[k] for a, b in zip(res["torch"], res["ll"])]
            ratio = (ll[0] / t[0], min(per_round), max(per_round))
        out.append((t, ll, ratio))
    return out


def num(v):
    """README style: 22,978 / 226 / 74.5 / 3.21."""
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def span(s, dash):
    """ "min-max" of a (median, min, max) of images/s."""
    return f"{num(s[1])}{dash}{num(s[2])}"


def rate_cell(s, spread, dash):
    if s is None:
        return "n/a"
    return num(s[0]) + (f" ({span(s, dash)})" if spread else "")


def ratio_cell(s, spread, times, dash):
    if s is None:
        return "n/a"
    return f"{s[0]:.2f}{times}" + (f" ({s[1]:.2f}{dash}{s[2]:.2f})" if spread else "")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def fma_peak_line(exe):
    """The line of <build>/bench/fma_peak 0.5 for the build directory holding <build>/app/<exe>;
    None when it is missing or fails."""
    tool = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(exe))), "bench", "fma_peak")
    if not os.access(tool, os.X_OK):
        return None
    try:
        p = subprocess.run([tool, "0.5"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    line = p.stdout.strip().splitlines()
    return line[0] if p.returncode == 0 and line else None


def allocator_setting(tuned):
    env = sorted((k, v) for k, v in os.environ.items()
                 if k.startswith("MALLOC_") or k == "GLIBC_TUNABLES")
    if not env:
        return "allocator: glibc defaults"
    s = "allocator: " + " ".join(f"{k}={v}" for k, v in env)
    return s + (" (--tuned-allocator, both sides)" if tuned else " (from the environment, both sides)")


def write_markdown(path, header, rows, spread):
    lines = [header, "",
             "Medians of the rounds" + (", (min–max) over the rounds; " if spread else "; ")
             + "ratio = LayerLens / PyTorch.", "",
             "| model (batch) | PyTorch train img/s | LayerLens train img/s | ratio (spread) "
             "| PyTorch infer | LayerLens infer | ratio (spread) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, summary, errors in rows:
        cells = [label]
        for t, ll, r in summary:
            cells += [rate_cell(t, spread, "–"), rate_cell(ll, spread, "–"),
                      ratio_cell(r, spread, "×", "–")]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {label}: {e}" for label, _, errors in rows for e in errors]
    if notes:
        lines += [""] + notes
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", default=DEFAULT, metavar="model:batch")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="each side's training and inference timing per round")
    ap.add_argument("--exe", default=os.path.join(ROOT, "build", "app", "layerlens"))
    ap.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    ap.add_argument("--tuned-allocator", action="store_true",
                    help="MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 for both sides")
    a = ap.parse_args()
    if a.rounds < 1 or a.seconds <= 0:
        ap.error("--rounds must be at least 1 and --seconds positive")
    models = []
    for item in a.models:
        name, sep, batch = item.rpartition(":")
        if not sep or not name or not batch.isdigit() or int(batch) < 1:
            ap.error(f"'{item}' is not model:batch")
        models.append((name, int(batch)))
    if a.tuned_allocator and any(os.environ.get(k) != v for k, v in TUNED_ALLOCATOR.items()):
        # glibc malloc reads these when the process starts: run this script again with them set.
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                  dict(os.environ, **TUNED_ALLOCATOR))
    try:
        import torch
    except ImportError:
        sys.exit("PyTorch is missing: run scripts/install-deps.sh --with-torch")

    header = (f"{time.strftime('%Y-%m-%d %H:%M')}, {cpu_model()} ({os.cpu_count()} cores), "
              f"{a.threads} threads, {a.rounds} alternating round{'s' if a.rounds > 1 else ''} "
              f"of >= {a.seconds:g}s per side, "
              f"PyTorch {torch.__version__}, {allocator_setting(a.tuned_allocator)}")
    peak = fma_peak_line(a.exe) if a.markdown else None
    if peak:
        header += f"; {peak}"
    spread = a.rounds > 1
    print(header)
    print(f"{'model (batch)':<24}{'torch train':>12}{'LL train':>12}{'ratio (spread)':>21}"
          f"{'torch infer':>13}{'LL infer':>12}{'ratio (spread)':>21}", flush=True)
    rows = []
    for name, batch in models:
        res, errors = bench_model(a.exe, name, batch, a.threads, a.rounds, a.seconds)
        summary = summarize(res)
        label = f"{name} ({batch})"
        (tt, lt, tr), (ti, li, ir) = summary
        print(f"{label:<24}{rate_cell(tt, False, ''):>12}{rate_cell(lt, False, ''):>12}"
              f"{ratio_cell(tr, spread, 'x', '-'):>21}{rate_cell(ti, False, ''):>13}"
              f"{rate_cell(li, False, ''):>12}{ratio_cell(ir, spread, 'x', '-'):>21}")
        if spread:
            parts = [f"{who} {span(s, '-')}"
                     for who, s in (("torch train", tt), ("LL train", lt), ("torch infer", ti),
                                    ("LL infer", li)) if s]
            if parts:
                print("    min-max images/s: " + ", ".join(parts))
        for e in errors:
            print(f"    {e}")
        sys.stdout.flush()
        rows.append((label, summary, errors))
        if a.markdown:
            write_markdown(a.markdown, header, rows, spread)  # after every model: keeps a partial run


if __name__ == "__main__":
    main()
