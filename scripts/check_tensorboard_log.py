#!/usr/bin/python3
"""Reads a `layerlens train --tensorboard DIR` log with TensorBoard's own reader.

Trains logreg on the built-in synthetic digits for one short epoch with --tensorboard into a
temporary folder (or checks --dir, a log written before), loads it with TensorBoard's
EventAccumulator and checks what LayerLens says it writes (core/tensorboard_log.h):

- the scalar tags train/loss, train/accuracy, train/learning_rate (one point per batch, steps
  1..N), test/loss and test/accuracy (at the last step), epoch/train_loss, epoch/train_accuracy,
  grad_norm/<layer> and weight_norm/<layer>;
- every value finite, accuracies in [0, 1];
- the histograms weights/<layer> and gradients/<layer>: bucket counts adding up to num, bucket
  limits rising and ending at max.

Needs the python3 `tensorboard` module (not packaged by Debian 12: pip's tensorboard works) and a
built layerlens (--exe). Without the module it says so and exits 0 (skipped). Exits 1 when a
check fails.
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--exe", default=os.path.join(os.path.dirname(__file__), "..", "build", "app",
                                                 "layerlens"),
                   help="the layerlens program (default build/app/layerlens)")
    p.add_argument("--dir", help="check this log instead of writing one")
    args = p.parse_args()
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError:
        print("skipped: the python3 module 'tensorboard' is not installed "
              "(Debian 12 does not package it; pip install tensorboard)")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        log = args.dir
        if not log:
            log = os.path.join(tmp, "tb")
            subprocess.run([args.exe, "train", "--model", "logreg", "--dataset",
                            "synthetic-digits", "--train-subset", "200", "--test-subset", "100",
                            "--batch", "50", "--epochs", "1", "--no-progress", "--out",
                            os.path.join(tmp, "run"), "--tensorboard", log], check=True)
        acc = event_accumulator.EventAccumulator(
            log, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0})
        acc.Reload()
        return check(acc)


def check(acc):
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    tags = acc.Tags()
    scalars, histograms = set(tags["scalars"]), set(tags["histograms"])
    print(f"{len(scalars)} scalar tags, {len(histograms)} histogram tags")
    for tag in ("train/loss", "train/accuracy", "train/learning_rate", "test/loss",
                "test/accuracy", "epoch/train_loss", "epoch/train_accuracy"):
        expect(tag in scalars, f"scalar tag {tag} missing")
    layers = sorted(t[len("grad_norm/"):] for t in scalars if t.startswith("grad_norm/"))
    expect(layers, "no grad_norm/<layer> tag")
    steps = [e.step for e in acc.Scalars("train/loss")] if "train/loss" in scalars else []
    expect(steps == list(range(1, len(steps) + 1)) and steps,
           f"train/loss steps are {steps}, not 1..N")
    for tag in sorted(scalars):
        values = [e.value for e in acc.Scalars(tag)]
        expect(all(math.isfinite(v) for v in values), f"{tag}: a value is not finite")
        if "accuracy" in tag:
            expect(all(0 <= v <= 1 for v in values), f"{tag}: a value is outside [0, 1]")
    if steps and "test/loss" in scalars:
        expect([e.step for e in acc.Scalars("test/loss")][-1] == steps[-1],
               "test/loss is not at the last step")
    for layer in layers:
        expect(f"weight_norm/{layer}" in scalars, f"weight_norm/{layer} missing")
        for kind in ("weights", "gradients"):
            tag = f"{kind}/{layer}"
            expect(tag in histograms, f"histogram {tag} missing")
            if tag not in histograms:
                continue
            for e in acc.Histograms(tag):
                h = e.histogram_value
                expect(sum(h.bucket) == h.num, f"{tag}: buckets add up to {sum(h.bucket)}, "
                       f"not num {h.num}")
                limits = list(h.bucket_limit)
                expect(limits == sorted(limits) and limits[-1] == h.max,
                       f"{tag}: bucket limits do not rise to max")
    for f in failures:
        print("FAIL:", f)
    print("ok" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
