#!/usr/bin/python3
"""LayerLens against PyTorch, tensor by tensor, on models exported to ONNX.

For each model: build it in PyTorch (torchvision's classification CNNs with random weights and
batch-norm statistics gathered on a few random batches, a LeNet-5 and a small CIFAR CNN written
here), export it with torch.onnx.export (opset 13) both ways PyTorch can (eval mode, which folds
batch norm into the convolutions, and TrainingMode.PRESERVE, which keeps it), feed one random
input to PyTorch and to `layerlens infer --layer all`, and compare:

- the output: largest |difference| / largest |value|, and whether the top-1 class agrees;
- every intermediate tensor LayerLens computed: against every PyTorch module output of the same
  shape (forward hooks on all modules), the closest one. A LayerLens node whose tensor has no
  PyTorch module boundary (a functional add or flatten inside a module) matches the module that
  ends with it, or is counted as unmatched;
- the parameter count of LayerLens' cost table against PyTorch's.

Needs Debian's python3-torch, python3-torchvision and python3-onnx
(scripts/install-deps.sh --with-torch) and a built layerlens (--exe). Run it with /usr/bin/python3.
Prints a Markdown table; exits 1 when an output differs by more than --tolerance or a top-1
differs.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torchvision
except ImportError as e:  # pragma: no cover
    sys.exit(f"{e}: run scripts/install-deps.sh --with-torch and use /usr/bin/python3")


class LeNet5(nn.Module):
    """LeNet-5 as PyTorch users write it (tanh, average pooling, 32×32 padded input)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
            nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class CifarNet(nn.Module):
    """A small CIFAR-10 CNN with batch norm, dropout, a residual add and x.view(N, -1)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(64 * 8 * 8, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.pool(torch.relu(self.bn2(self.conv2(x)) + x))
        x = self.pool(torch.relu(self.conv3(x)))
        return self.fc(self.drop(x.view(x.size(0), -1)))


FAMILIES = ["lenet5", "cifarnet", "resnet18", "mobilenet_v2", "alexnet", "vgg11", "vgg11_bn",
            "squeezenet1_0", "densenet121", "googlenet", "mobilenet_v3_small", "efficientnet_b0"]
PUBLISHED = {"resnet18": 11_689_512, "mobilenet_v2": 3_504_872}


def build(name):
    torch.manual_seed(0)
    if name == "lenet5":
        return LeNet5(), (1, 1, 28, 28)
    if name == "cifarnet":
        return CifarNet(), (1, 3, 32, 32)
    kwargs = {"weights": None}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    return getattr(torchvision.models, name)(**kwargs), (1, 3, 224, 224)


def calibrate(model, shape):
    """Batch-norm running statistics from a few random batches, so they are not 0 and 1."""
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn((4,) + shape[1:]) * 0.5)
    model.eval()


def module_outputs(model, x):
    """Every module's output for x (name → array), by forward hooks; a module called several
    times (ResNet's relu) gives name#2, name#3..."""
    outs, hooks = {}, []
    for name, mod in model.named_modules():
        if not name:
            continue

        def hook(_m, _in, out, name=name):
            if isinstance(out, torch.Tensor):
                key, k = name, 1
                while key in outs:
                    k += 1
                    key = f"{name}#{k}"
                outs[key] = out.detach().numpy().copy()
        hooks.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        y = model(x)
    for h in hooks:
        h.remove()
    return y.numpy(), outs


def rel(a, b):
    scale = float(np.abs(b).max()) or 1.0
    return float(np.abs(a - b).max()) / scale


def run_layerlens(exe, model_path, x_path, out_dir):
    t = time.time()
    r = subprocess.run([exe, "infer", "--model", model_path, "--input", x_path, "--layer", "all",
                        "--out", out_dir], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError((r.stderr or r.stdout).strip().splitlines()[-1])
    return time.time() - t


def params_of(exe, model_path):
    r = subprocess.run([exe, "summary", "--model", model_path, "--format", "json"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)["totals"]["params"]
    except (ValueError, KeyError):
        return None


def check(exe, name, mode, work, tol):
    model, shape = build(name)
    calibrate(model, shape)
    x = torch.randn(shape)
    path = os.path.join(work, f"{name}-{mode}.onnx")
    training = (torch.onnx.TrainingMode.PRESERVE if mode == "bn-kept"
                else torch.onnx.TrainingMode.EVAL)
    torch.onnx.export(model, x, path, opset_version=13, training=training,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    x_path = os.path.join(work, f"{name}-x.npy")
    np.save(x_path, x.numpy())
    y_ref, outs = module_outputs(model, x)
    out_dir = os.path.join(work, f"{name}-{mode}-ll")
    row = {"model": name, "export": mode}
    try:
        row["seconds"] = run_layerlens(exe, path, x_path, out_dir)
    except RuntimeError as e:
        row["error"] = str(e)
        return row
    y = np.load(os.path.join(out_dir, "output.npy"))
    row["output"] = rel(y, y_ref)
    row["top1"] = bool(np.argmax(y[0]) == np.argmax(y_ref[0]))
    by_shape = {}
    for k, v in outs.items():
        by_shape.setdefault(v.shape, []).append(k)
    worst, matched, total = 0.0, 0, 0
    for f in sorted(os.listdir(out_dir)):
        if not f.endswith(".npy") or f == "output.npy":
            continue
        a = np.load(os.path.join(out_dir, f))
        total += 1
        cands = by_shape.get(a.shape, [])
        if not cands:
            continue
        best = min(rel(a, outs[k]) for k in cands)
        if best < 1e-3:
            matched += 1
            worst = max(worst, best)
    row["intermediate"] = f"{matched}/{total}"
    row["worst_matched"] = worst
    row["params"] = params_of(exe, path)
    row["torch_params"] = sum(p.numel() for p in model.parameters())
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exe", default="build/app/layerlens")
    ap.add_argument("--models", nargs="*", default=FAMILIES)
    ap.add_argument("--modes", nargs="*", default=["bn-folded", "bn-kept"])
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--keep", help="folder for the exported files and dumps (default: temporary)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    work = a.keep or tempfile.mkdtemp(prefix="ll-onnx-")
    os.makedirs(work, exist_ok=True)
    print("| model | export | output max rel. diff | top-1 same | intermediates matched "
          "(< 1e-3) | worst matched | LayerLens params | PyTorch params | infer s |")
    print("|---|---|---|---|---|---|---|---|---|")
    bad = 0
    for name in a.models:
        for mode in a.modes:
            r = check(a.exe, name, mode, work, a.tolerance)
            if "error" in r:
                bad += 1
                print(f"| {name} | {mode} | refused: {r['error']} | | | | | | |", flush=True)
                continue
            ok = r["output"] <= a.tolerance and r["top1"]
            bad += not ok
            pub = PUBLISHED.get(name)
            tp = f"{r['torch_params']:,}" + (f" (published {pub:,})" if pub else "")
            lp = f"{r['params']:,}" if r["params"] is not None else "?"
            print(f"| {name} | {mode} | {r['output']:.2e}{'' if ok else ' ✗'} | "
                  f"{'yes' if r['top1'] else 'NO'} | {r['intermediate']} | "
                  f"{r['worst_matched']:.1e} | {lp} | {tp} | {r['seconds']:.1f} |", flush=True)
    print(f"\n{bad} failure(s); files in {work}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
