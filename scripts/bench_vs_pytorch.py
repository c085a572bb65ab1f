#!/usr/bin/python3
"""Side-by-side training/inference throughput: `layerlens bench` against PyTorch on the same models.

The PyTorch models are built from the same JSON presets (resources/models, sequential or graph
files) by scripts/llgraph.py, with the same batch, thread count, optimizer and float32 data, timed
the same way (median images/s over rounds of at least --seconds each), one after the other in one
run. A model one side cannot build or load shows "n/a" and the error's first line; the others still
run. Needs Debian's python3-torch together with libopenblas0-pthread
(`scripts/install-deps.sh --with-torch`).

usage: scripts/bench_vs_pytorch.py [--threads 2] [--rounds 5] [--seconds 1] [model:batch ...]
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


def torch_model(doc, torch):
    """The PyTorch module of a parsed model file (graph or sequential), built by llgraph.py;
    `torch` is the already imported module. Raises ValueError for layers PyTorch lacks here."""
    import llgraph  # imports torch itself: only after main() has checked that it is installed
    return llgraph.build(doc)


def median_rate(step, batch, rounds, seconds):
    rates = []
    for _ in range(rounds):
        n, t0 = 0, time.perf_counter()
        while True:
            step()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= seconds:
                break
        rates.append(n * batch / dt)
    return statistics.median(rates)


def bench_torch(name, batch, threads, rounds, seconds):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    with open(os.path.join(ROOT, "resources", "models", name + ".json")) as f:
        doc = json.load(f)
    model = torch_model(doc, torch)
    d = doc.get("defaults", {})
    x = torch.randn([batch] + doc["input"])
    binary = doc.get("loss") in ("logistic", "non_ce")
    if binary:
        y = torch.tensor([float(i % 2) for i in range(batch)]).unsqueeze(1)
        loss_fn = torch.nn.BCEWithLogitsLoss()
    else:
        y = torch.tensor([i % 10 for i in range(batch)])
        loss_fn = torch.nn.CrossEntropyLoss()
    opt_name = d.get("optimizer", "sgd")
    if opt_name == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9 if opt_name != "sgd" else 0,
                              nesterov=opt_name == "nesterov")

    def train_step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    model.train()
    for _ in range(3):
        train_step()
    train = median_rate(train_step, batch, rounds, seconds)
    model.eval()

    def infer_step():
        with torch.no_grad():
            model(x)

    infer_step()
    infer = median_rate(infer_step, batch, rounds, seconds)
    return train, infer


def bench_layerlens(exe, name, batch, threads, rounds, seconds):
    p = subprocess.run([exe, "bench", "--model", name, "--batch", str(batch), "--threads", str(threads),
                        "--format", "json", "--rounds", str(rounds), "--seconds", str(seconds)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines()
        raise RuntimeError(lines[0] if lines else f"{exe} bench exited with {p.returncode}")
    j = json.loads(p.stdout)
    return j["train_images_per_s"], j["infer_images_per_s"]


def rate(v):
    return "n/a" if v is None else f"{v:.1f}"


def ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}x"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", default=DEFAULT)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--exe", default=os.path.join(ROOT, "build", "app", "layerlens"))
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("PyTorch is missing: run scripts/install-deps.sh --with-torch")
    print(f"PyTorch {torch.__version__}, {a.threads} threads, median of {a.rounds} rounds of >= {a.seconds}s")
    print(f"{'model (batch)':<22}{'torch train':>12}{'LL train':>12}{'ratio':>8}{'torch infer':>13}{'LL infer':>12}{'ratio':>8}")
    for item in a.models:
        name, batch = item.split(":")
        batch = int(batch)
        # A model one side cannot build or load is "n/a" with the error's first line; the run goes on.
        errors = []
        try:
            tt, ti = bench_torch(name, batch, a.threads, a.rounds, a.seconds)
        except (ValueError, OSError) as e:
            tt = ti = None
            errors.append(f"PyTorch: {str(e).splitlines()[0]}")
        try:
            lt, li = bench_layerlens(a.exe, name, batch, a.threads, a.rounds, a.seconds)
        except (RuntimeError, OSError) as e:
            lt = li = None
            errors.append(f"LayerLens: {str(e).splitlines()[0]}")
        print(f"{name + ' (' + str(batch) + ')':<22}{rate(tt):>12}{rate(lt):>12}{ratio(lt, tt):>8}"
              f"{rate(ti):>13}{rate(li):>12}{ratio(li, ti):>8}", flush=True)
        for e in errors:
            print(f"    {e}", flush=True)


if __name__ == "__main__":
    main()
