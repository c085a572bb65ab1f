#!/usr/bin/python3
"""Peak memory (maximum resident set size) of the same benchmark run in LayerLens and PyTorch.

For each model:batch, two processes each run under /usr/bin/time -v, one after the other: `layerlens
bench --model M --batch B --threads T --rounds R --seconds S` (warm-up, then R rounds of training
steps and inference passes on random data), and this script's --torch-side mode, which builds the
same preset in PyTorch (scripts/llgraph.py, as bench_vs_pytorch.py does: same batch, threads,
optimizer, float32 data) and runs the same rounds (bench_vs_pytorch.TorchBench). The table gives
both peaks in MB and their ratio. --tuned-allocator sets MALLOC_MMAP_MAX_=0
MALLOC_TRIM_THRESHOLD_=17179869184 for both sides, as the speed comparison does (it keeps freed
memory in the process, so it raises both peaks a little). Needs python3-torch
(`scripts/install-deps.sh --with-torch`).

usage: scripts/rss_vs_pytorch.py [--threads 2] [--rounds 2] [--seconds 1] [--exe PATH]
                                 [--tuned-allocator] [model:batch ...]
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ["vgg-cifar:32", "resnet20-cifar:128"]
TUNED_ALLOCATOR = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "17179869184"}


def peak_mb(cmd, env):
    """Runs cmd under /usr/bin/time -v; returns its maximum resident set size in MB."""
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {r.stderr.strip().splitlines()[-1:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    if not m:
        raise RuntimeError("/usr/bin/time -v printed no maximum resident set size")
    return int(m.group(1)) / 1024


def torch_side(name, batch, threads, rounds, seconds):
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import bench_vs_pytorch
    bench = bench_vs_pytorch.TorchBench(name, batch, threads)
    for _ in range(rounds):
        bench.round(seconds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", default=DEFAULT, metavar="model:batch")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--exe", default=os.path.join(ROOT, "build", "app", "layerlens"))
    ap.add_argument("--tuned-allocator", action="store_true")
    ap.add_argument("--torch-side", metavar="MODEL:BATCH", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torch_side:
        name, _, batch = a.torch_side.rpartition(":")
        torch_side(name, int(batch), a.threads, a.rounds, a.seconds)
        return 0
    try:
        import torch  # noqa: F401  (only to say clearly when it is missing)
    except ImportError:
        print("PyTorch is missing: run scripts/install-deps.sh --with-torch", file=sys.stderr)
        return 2
    if not os.path.exists(a.exe):
        print(f"no LayerLens executable at {a.exe} (build first, or --exe)", file=sys.stderr)
        return 2
    env = dict(os.environ)
    if a.tuned_allocator:
        env.update(TUNED_ALLOCATOR)
    print(f"peak RSS, {a.threads} threads, {a.rounds} rounds of {a.seconds} s of training and "
          f"inference each, allocator: {'tuned' if a.tuned_allocator else 'glibc defaults'}")
    print(f"{'model (batch)':24} {'PyTorch MB':>11} {'LayerLens MB':>13} {'ratio':>7}")
    for item in a.models:
        name, sep, batch = item.rpartition(":")
        if not sep or not batch.isdigit():
            ap.error(f"'{item}' is not model:batch")
        common = ["--threads", str(a.threads), "--rounds", str(a.rounds), "--seconds",
                  str(a.seconds)]
        try:
            ll = peak_mb([a.exe, "bench", "--model", name, "--batch", batch] + common, env)
            pt = peak_mb([sys.executable, os.path.abspath(__file__), "--torch-side", item] + common,
                         env)
        except RuntimeError as e:
            print(f"{item:24} n/a: {e}")
            continue
        print(f"{name + ' (' + batch + ')':24} {pt:11.0f} {ll:13.0f} {ll / pt:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
