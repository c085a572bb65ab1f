#!/usr/bin/python3
"""Trains one CIFAR-10 recipe in LayerLens and in PyTorch, side by side, and compares test accuracy.

Both sides read the same model file (resources/models/MODEL.json; the PyTorch module is built by
scripts/llgraph.py), the same CIFAR-10 files (every data_batch_*.bin present, any subset of the
five; test_batch.bin for the test set) and the preset's defaults: momentum SGD with its lr,
momentum and L2 weight decay (on every parameter, as LayerLens does), its learning-rate schedule
(core/lr_schedule.h; PyTorch's own MultiStepLR or CosineAnnealingLR, stepped once per epoch, on
the PyTorch side), its batch size (the last, smaller batch of an epoch is kept, as LayerLens does), cross-entropy.
Augmentation on both: random crops of the image zero-padded by 4 pixels (black, before
normalization) and horizontal flips with probability 1/2.

PyTorch side: PyTorch's default initialization (Kaiming-uniform with a = sqrt(5) for Conv2d and
Linear, BN gamma 1 and beta 0: what LayerLens's layers use too); inputs normalized per channel
with the mean and standard deviation of the training images actually used (all their pixels,
before augmentation; printed, next to LayerLens's fixed CIFAR-10 statistics); evaluated on the
whole test set after every epoch.

LayerLens side: `layerlens train --model FILE --dataset cifar10 --data DIR --epochs N --augment
--threads T --seed S --out TMPDIR/run --no-progress`; its per-epoch test accuracy and seconds
come from the run folder's epochs.csv (which is kept; its path is printed).

Time is wall time from the start of epoch 1 to the end of each epoch's test evaluation
(LayerLens's epochs.csv "seconds", summed), so data loading and model building are left out on
both sides. The two runs take turns, never at the same time.

usage: scripts/resnet20_vs_pytorch.py [--model resnet20-cifar] [--epochs N] [--data DIR]
           [--threads 2] [--seeds 1[,2,...]] [--lr-schedule S] [--only torch|layerlens]
           [--train-subset N] [--layerlens build/app/layerlens]

--seeds: one run per side for each seed (the two sides take turns); the summary gives each seed's
final test accuracy, the means and their difference. --lr-schedule overrides the preset's on both
sides (constant, step, step:F1,F2,...[:FACTOR], cosine).

--epochs defaults to the preset's; --data to $LAYERLENS_DATA, else ../shared/data beside the
project (a folder holding cifar-10-batches-bin, or that folder itself). --train-subset N (smoke
tests only): PyTorch takes the first N training images, LayerLens N chosen at random by its seed,
so the two sides then train on different images.
"""
import argparse
import csv
import glob
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERLENS_STATS = ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))  # core/data/cifar10.cpp


def cifar_dir(data):
    sub = os.path.join(data, "cifar-10-batches-bin")
    return sub if os.path.isdir(sub) else data


def read_cifar(paths):
    """uint8 images (N, 3, 32, 32) and int64 labels (N) from CIFAR-10 binary batch files."""
    import numpy as np
    import torch
    parts = []
    for p in paths:
        raw = np.fromfile(p, np.uint8)
        if raw.size == 0 or raw.size % 3073:
            sys.exit(f"{p}: {raw.size} bytes is not a whole number of 3073-byte CIFAR-10 records")
        parts.append(raw.reshape(-1, 3073))
    raw = np.concatenate(parts)
    return torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()), torch.from_numpy(raw[:, 0].astype(np.int64))


def channel_stats(images):
    """Per-channel mean and standard deviation of uint8 images on the [0, 1] scale."""
    import torch
    s = torch.zeros(3, dtype=torch.float64)
    s2 = torch.zeros(3, dtype=torch.float64)
    for chunk in images.split(2000):
        x = chunk.to(torch.float64) / 255
        s += x.sum((0, 2, 3))
        s2 += (x * x).sum((0, 2, 3))
    n = images.shape[0] * 32 * 32
    mean = s / n
    return mean, (s2 / n - mean * mean).sqrt()


def train_torch(doc, a, data):
    """Trains in PyTorch; yields (epoch, train loss, test accuracy, seconds of the epoch)."""
    import torch
    import torch.nn.functional as F
    import llgraph
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    d = doc.get("defaults", {})
    (x_train, y_train), (x_test, y_test) = data
    mean, std = channel_stats(x_train)
    print(f"PyTorch {torch.__version__}: normalization from the {len(y_train)} training images: "
          f"mean {[round(v, 4) for v in mean.tolist()]}, std {[round(v, 4) for v in std.tolist()]} "
          f"(LayerLens uses fixed {list(LAYERLENS_STATS[0])}, {list(LAYERLENS_STATS[1])})", flush=True)
    scale = (1 / (255 * std)).float().view(1, 3, 1, 1)
    shift = (-mean / std).float().view(1, 3, 1, 1)
    padded = F.pad(x_train, (4, 4, 4, 4))  # (N, 3, 40, 40), black borders
    span, channels = torch.arange(32), torch.arange(3)[None, :, None, None]
    test = x_test.float() * scale + shift

    model = llgraph.build(doc)
    opt_name = d.get("optimizer", "sgd")
    if opt_name not in ("sgd", "momentum", "nesterov"):
        sys.exit(f"{doc['name']}: optimizer '{opt_name}' is not compared here (sgd, momentum, nesterov)")
    opt = torch.optim.SGD(model.parameters(), lr=d.get("lr", 0.01),
                          momentum=d.get("momentum", 0.9) if opt_name != "sgd" else 0,
                          nesterov=opt_name == "nesterov", weight_decay=d.get("weight_decay", 0.0))
    kind, milestones, gamma = schedule(a.lr_schedule, a.epochs)
    sched = (torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma) if kind == "step" else
             torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.epochs) if kind == "cosine" else None)
    batch = d.get("batch", 64)
    n = len(y_train)
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=gen)
        loss_sum = 0.0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            k = len(idx)
            off = torch.randint(0, 9, (k, 2), generator=gen)
            flip = torch.rand(k, generator=gen) < 0.5
            # Image j is padded[idx[j]] cropped at off[j] (rows, then columns), its columns
            # reversed where flip[j]: one gather for the batch, not a Python loop per image.
            rows = (off[:, 0:1] + span)[:, None, :, None]
            cols = (off[:, 1:2] + span)[:, None, None, :]
            cols = torch.where(flip[:, None, None, None], cols.flip(3), cols)
            xb = padded[idx[:, None, None, None], channels, rows, cols]
            loss = F.cross_entropy(model(xb.float() * scale + shift), y_train[idx])
            if not math.isfinite(loss.item()):
                sys.exit(f"PyTorch: the loss is {loss.item()} in epoch {epoch}; stopped")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * k
        if sched:
            sched.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for xs, ys in zip(test.split(500), y_test.split(500)):
                correct += (model(xs).argmax(1) == ys).sum().item()
        yield epoch, loss_sum / n, correct / len(y_test), time.perf_counter() - t0


def schedule(text, epochs):
    """(kind, milestone epochs, factor) of a schedule's text, as core/lr_schedule.cpp reads it:
    a step after fraction F of E epochs falls after epoch floor(F * E + 0.5)."""
    parts = text.split(":")
    if parts[0] in ("constant", "cosine") and len(parts) == 1:
        return parts[0], [], 1.0
    if parts[0] != "step" or len(parts) > 3:
        sys.exit(f"learning-rate schedule '{text}': expected constant, cosine or step[:F1,F2,...[:FACTOR]]")
    fractions = [float(f) for f in parts[1].split(",")] if len(parts) > 1 else [0.5, 0.75]
    return "step", [math.floor(f * epochs + 0.5) for f in fractions], float(parts[2]) if len(parts) > 2 else 0.1


def complete_rows(path):
    """The rows of a CSV file being appended to, without a last line still being written."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return list(csv.DictReader(text[:text.rfind("\n") + 1].splitlines()))


def train_layerlens(model_path, a):
    """Runs `layerlens train`; yields (epoch, train loss, test accuracy, seconds) as epochs.csv
    grows. Raises RuntimeError with the first line of its error when it fails."""
    out = os.path.join(tempfile.mkdtemp(prefix="resnet20_vs_pytorch-"), "run")
    cmd = [a.layerlens, "train", "--model", model_path, "--dataset", "cifar10", "--data", a.data,
           "--epochs", str(a.epochs), "--augment", "--threads", str(a.threads), "--seed", str(a.seed),
           "--lr-schedule", a.lr_schedule, "--out", out, "--no-progress"]
    if a.train_subset:
        cmd += ["--train-subset", str(a.train_subset)]
    print("LayerLens:", " ".join(cmd), flush=True)
    log = out + ".log"
    with open(log, "w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
    seen = 0
    try:
        while True:
            done = p.poll() is not None
            rows = complete_rows(os.path.join(out, "epochs.csv"))
            for r in rows[seen:]:
                yield int(r["epoch"]), float(r["train_loss"]), float(r["test_acc"]), float(r["seconds"])
            seen = len(rows)
            if done:
                break
            time.sleep(1)
    finally:
        if p.poll() is None:  # interrupted: stop our child
            p.terminate()
            p.wait()
    if p.returncode != 0:
        with open(log) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        raise RuntimeError(lines[0] if lines else f"exited with {p.returncode}")
    print(f"LayerLens run folder: {out}", flush=True)


def collect(name, runs, results):
    """Prints each epoch as it comes and stores (accuracy, cumulative seconds) per epoch."""
    total = 0.0
    for epoch, loss, acc, sec in runs:
        total += sec
        results[epoch] = (acc, total)
        print(f"{name:<9} epoch {epoch:>3}  train loss {loss:.4f}  test acc {100 * acc:6.2f}%  "
              f"{sec:7.1f} s ({total:.0f} s so far)", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="resnet20-cifar", help="a preset name or a model file")
    ap.add_argument("--epochs", type=int, help="default: the preset's")
    ap.add_argument("--data", default=os.environ.get("LAYERLENS_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data")))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seeds", default="1", help="comma-separated: one run per side for each")
    ap.add_argument("--lr-schedule", help="default: the preset's")
    ap.add_argument("--only", choices=["torch", "layerlens"])
    ap.add_argument("--train-subset", type=int, help="the first N training images (smoke tests)")
    ap.add_argument("--layerlens", default=os.path.join(ROOT, "build", "app", "layerlens"))
    a = ap.parse_args()

    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    model_path = a.model if a.model.endswith(".json") else os.path.join(ROOT, "resources", "models", a.model + ".json")
    with open(model_path) as f:
        doc = json.load(f)
    d = doc.get("defaults", {})
    a.epochs = a.epochs or d.get("epochs", 1)
    cdir = cifar_dir(a.data)
    train_files = sorted(glob.glob(os.path.join(cdir, "data_batch_[1-5].bin")))
    test_file = os.path.join(cdir, "test_batch.bin")
    if not train_files or not os.path.exists(test_file):
        sys.exit(f"no CIFAR-10 data_batch_*.bin and test_batch.bin in {cdir}: give --data")
    a.lr_schedule = a.lr_schedule or d.get("lr_schedule", "constant")
    kind, milestones, gamma = schedule(a.lr_schedule, a.epochs)
    rate = {"constant": "constant lr", "cosine": "cosine lr",
            "step": f"lr x{gamma} after epochs {', '.join(map(str, milestones))}"}[kind]
    seeds = [int(v) for v in a.seeds.split(",")]
    recipe = ", ".join(f"{k} {d[k]}" for k in ("optimizer", "lr", "momentum", "weight_decay", "batch") if k in d)
    print(f"{doc['name']}: {a.epochs} epochs, {recipe}, {rate}, crop+flip; {a.threads} threads; "
          f"seeds {', '.join(map(str, seeds))}; "
          f"train on {', '.join(os.path.basename(p) for p in train_files)}"
          f"{f' (subset {a.train_subset})' if a.train_subset else ''}", flush=True)

    sides = [s for s, key in (("PyTorch", "torch"), ("LayerLens", "layerlens")) if a.only in (None, key)]
    data = None
    finals = []  # per seed: {side: (final accuracy, seconds)}
    for seed in seeds:
        a.seed = seed
        print(f"\n--- seed {seed} ---", flush=True)
        results = {"PyTorch": {}, "LayerLens": {}}
        errors = {}
        if a.only != "torch":
            try:
                collect("LayerLens", train_layerlens(model_path, a), results["LayerLens"])
            except (RuntimeError, OSError) as e:
                errors["LayerLens"] = str(e).splitlines()[0]
                print(f"LayerLens: n/a: {errors['LayerLens']}", flush=True)
        if a.only != "layerlens":
            if importlib.util.find_spec("torch") is None:
                sys.exit("PyTorch is missing: run scripts/install-deps.sh --with-torch")
            if data is None:
                x, y = read_cifar(train_files)
                if a.train_subset:
                    x, y = x[:a.train_subset], y[:a.train_subset]
                data = ((x, y), read_cifar([test_file]))
            collect("PyTorch", train_torch(doc, a, data), results["PyTorch"])

        print()
        print(f"{'epoch':>5}" + "".join(f"{s + ' acc':>16}{s + ' s':>14}" for s in sides)
              + (f"{'LL - PT':>10}" if len(sides) == 2 else ""))
        for e in range(1, a.epochs + 1):
            row = f"{e:>5}"
            for s in sides:
                acc, t = results[s].get(e, (None, None))
                row += f"{'n/a' if acc is None else f'{100 * acc:.2f}%':>16}{'n/a' if t is None else f'{t:.0f}':>14}"
            if len(sides) == 2:
                pt, ll = results["PyTorch"].get(e), results["LayerLens"].get(e)
                row += f"{'n/a' if pt is None or ll is None else f'{100 * (ll[0] - pt[0]):+.2f}':>10}"
            print(row)
        finals.append({s: results[s].get(a.epochs) for s in sides})
        for s, e in errors.items():
            print(f"{s}: n/a: {e}")

    print(f"\nfinal test accuracy after {a.epochs} epochs ({rate}):")
    print(f"{'seed':>5}" + "".join(f"{s + ' acc':>16}{s + ' s':>14}" for s in sides))
    for seed, f in zip(seeds, finals):
        print(f"{seed:>5}" + "".join(f"{'n/a':>16}{'n/a':>14}" if f[s] is None else
                                     f"{f'{100 * f[s][0]:.2f}%':>16}{f'{f[s][1]:.0f}':>14}" for s in sides))
    means = {}
    for s in sides:
        accs = [f[s][0] for f in finals if f[s]]
        if len(accs) == len(seeds):
            sd = (sum((v - sum(accs) / len(accs)) ** 2 for v in accs) / (len(accs) - 1)) ** 0.5 if len(accs) > 1 else 0.0
            means[s] = sum(accs) / len(accs)
            secs = [f[s][1] for f in finals]
            print(f"{s}: mean {100 * means[s]:.2f}% (sd {100 * sd:.2f} over {len(accs)} seed(s)), "
                  f"median time {sorted(secs)[len(secs) // 2]:.0f} s")
    if len(means) == 2:
        print(f"LayerLens - PyTorch = {100 * (means['LayerLens'] - means['PyTorch']):+.2f} points (means)")


if __name__ == "__main__":
    main()
