#!/usr/bin/python3
"""Writes a log with PyTorch's SummaryWriter and reads it back with `layerlens runs --show`.

Writes, with torch.utils.tensorboard.SummaryWriter into a temporary folder: Loss/train,
Accuracy/train (percent, as many tutorials log it), Loss/val, Accuracy/val and lr for 20
steps, once with the default encoding (simple_value) and once with new_style=True (rank-0
tensors), then checks that `layerlens runs --show` prints every value back at its step (floats,
so to float precision; accuracies in percent come back as fractions, with a warning).

Needs python3-torch with the python3 `tensorboard` module (SummaryWriter imports it; Debian 12
does not package it: pip's tensorboard works) and a built layerlens (--exe). Without the module
it says so and exits 0 (skipped). Exits 1 when a check fails.
"""

import argparse
import csv
import io
import math
import os
import subprocess
import sys
import tempfile

STEPS = 20


def expected(step):
    return {
        "Loss/train": 2.0 / (1 + step),
        "Accuracy/train": 10.0 + 4.0 * step,  # percent
        "Loss/val": 2.5 / (1 + step),
        "Accuracy/val": 5.0 + 4.0 * step,
        "lr": 0.1 * 0.9 ** step,
    }


def check(exe, log):
    out = subprocess.run([exe, "runs", "--show", log], check=True, capture_output=True,
                         text=True).stdout
    got = {}
    for row in csv.DictReader(io.StringIO(out)):
        got[(row["source"], int(row["step"]))] = float(row["value"])
    bad = 0
    for step in range(STEPS):
        for tag, v in expected(step).items():
            want = v / 100 if tag.startswith("Accuracy") else v
            have = got.get((tag, step))
            if have is None or not math.isclose(have, want, rel_tol=1e-6, abs_tol=1e-7):
                print(f"{log}: {tag} at step {step}: {have}, expected {want}")
                bad += 1
    return bad


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--exe", default=os.path.join(os.path.dirname(__file__), "..", "build", "app",
                                                 "layerlens"),
                   help="the layerlens program (default build/app/layerlens)")
    args = p.parse_args()
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as e:
        print(f"skipped: PyTorch's SummaryWriter cannot be imported ({e}); Debian 12 does not "
              "package the python3 'tensorboard' module it needs (pip install tensorboard)")
        return 0
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for new_style in (False, True):
            log = os.path.join(tmp, "new-style" if new_style else "simple-value")
            kwargs = {"new_style": True} if new_style else {}
            with SummaryWriter(log) as w:
                for step in range(STEPS):
                    for tag, v in expected(step).items():
                        w.add_scalar(tag, v, step, **kwargs)
            bad += check(args.exe, log)
    print("summarywriter: " + ("FAILED" if bad else "every value read back"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
