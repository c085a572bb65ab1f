#!/usr/bin/python3
"""PyTorch modules built from LayerLens model files (resources/models/*.json).

Follows the graph format of issue 12: every entry of "layers" is a node; "inputs" names earlier
nodes ("input" is the net's input; default: the previous node); the last node is the output.
The older sequential files are graphs whose nodes all read the previous one: for them build()
returns the same nn.Sequential as before (same modules, created in the same order, so the same
initialization for a given torch.manual_seed). Every module keeps PyTorch's default init.

As a library (needs python3-torch):
    import llgraph
    model = llgraph.build(doc)                       # doc: the parsed JSON
    params, macs = llgraph.count(model, doc["input"])

As a script: parameters and multiply-accumulates per image of presets or model files
(MACs of Conv2d and Linear only, as LayerLens's cost tables count them):
    scripts/llgraph.py [resnet20-cifar mobilenet-cifar path/to/model.json ...]
"""
import json
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRESETS = os.path.join(ROOT, "resources", "models")

# Default node names are prefix + count, as the engine names them (core/net.cpp namePrefix);
# other types use their lower-cased type name.
_PREFIX = {"Conv2d": "conv", "SparseConv2d": "conv", "Linear": "fc", "MaxPool2d": "pool",
           "AvgPool2d": "pool", "BatchNorm1d": "bn", "BatchNorm2d": "bn", "ReLU": "relu",
           "Sigmoid": "sigmoid", "Tanh": "tanh", "Dropout": "dropout", "Flatten": "flatten",
           "Concat": "concat"}

# Parameter-free activations: file type -> constructor.
_ACTIVATIONS = {"ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "ReLU6": nn.ReLU6,
                "HardSigmoid": nn.Hardsigmoid, "HardSwish": nn.Hardswish, "SiLU": nn.SiLU,
                "GELU": nn.GELU, "Identity": nn.Identity, "Flatten": nn.Flatten}

_MULTI_INPUT = ("Add", "Mul")


def load(name_or_path):
    """The parsed model file: a preset name (resources/models/NAME.json) or a path."""
    path = name_or_path if name_or_path.endswith(".json") else os.path.join(PRESETS, name_or_path + ".json")
    with open(path) as f:
        return json.load(f)


class Add(nn.Module):
    """Sum of n >= 2 tensors of equal shape."""

    def forward(self, *xs):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y


class Mul(nn.Module):
    """x * gate: gate (N, C, 1, 1) broadcast over x (N, C, H, W) (squeeze-and-excitation), or
    equal shapes."""

    def forward(self, x, gate):
        return x * gate


class Cat(nn.Module):
    """Concatenation along channels (dim 1) of n >= 2 tensors."""

    def forward(self, *xs):
        return torch.cat(xs, 1)


class Branches(nn.Module):
    """The older Concat form: parallel chains fed by the same input, concatenated along dim 1."""

    def __init__(self, branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)


class ChannelPad(nn.Module):
    """ResNet option-A shortcut: x[:, :, ::s, ::s] with zero channels added, (out - in) // 2
    before and the rest after."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.before = (cout - cin) // 2
        self.after = cout - cin - self.before
        self.stride = stride

    def forward(self, x):
        s = self.stride
        return F.pad(x[:, :, ::s, ::s], (0, 0, 0, 0, self.before, self.after))

    def extra_repr(self):
        return f"before={self.before}, after={self.after}, stride={self.stride}"


class PaddedConv2d(nn.Conv2d):
    """Conv2d with asymmetric zero padding [top, left, bottom, right] (F.pad first, then an
    unpadded convolution). Parameters and init are nn.Conv2d's."""

    def __init__(self, *args, pad4, **kwargs):
        super().__init__(*args, padding=0, **kwargs)
        top, left, bottom, right = pad4
        self.pad4 = (left, right, top, bottom)  # F.pad order: last dim first

    def forward(self, x):
        return super().forward(F.pad(x, self.pad4))

    def extra_repr(self):
        left, right, top, bottom = self.pad4
        return super().extra_repr() + f", pad=[top {top}, left {left}, bottom {bottom}, right {right}]"


class GraphNet(nn.Module):
    """Nodes in topological order; node i reads the outputs named in inputs[i] (-1: the net's
    input). The last node's output is the net's output. Intermediate outputs are dropped after
    their last reader."""

    def __init__(self, names, modules, inputs):
        super().__init__()
        self.names = list(names)
        self.nodes = nn.ModuleList(modules)
        self.inputs = [list(i) for i in inputs]
        last = {}
        for i, ins in enumerate(self.inputs):
            for j in ins:
                last[j] = i
        # after node i, forget the outputs whose last reader is i (never the final output)
        self.release = [[j for j in ins if last[j] == i] for i, ins in enumerate(self.inputs)]

    def forward(self, x):
        outs = {-1: x}
        for i, m in enumerate(self.nodes):
            y = m(*[outs[j] for j in self.inputs[i]])
            for j in self.release[i]:
                del outs[j]
            outs[i] = y
        return outs[len(self.nodes) - 1]

    def extra_repr(self):
        return "\n".join(f"{i}: {n} <- {[self.names[j] if j >= 0 else 'input' for j in ins]}"
                         for i, (n, ins) in enumerate(zip(self.names, self.inputs)))


def _pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


def _conv(spec, cin, fail):
    k, d = _pair(spec["kernel"]), _pair(spec.get("dilation", 1))
    stride, groups = _pair(spec.get("stride", 1)), spec.get("groups", 1)
    pad = spec.get("padding", 0)
    if cin % groups or spec["out"] % groups:
        fail(f"\"groups\": {groups} must divide the input ({cin}) and output ({spec['out']}) channels")
    if pad == "same":
        if stride != (1, 1) or any(di * (ki - 1) % 2 for ki, di in zip(k, d)):
            fail("\"same\" padding needs stride 1 and an odd (dilated) kernel")
        pad = (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)
    elif isinstance(pad, list) and len(pad) == 4:
        top, left, bottom, right = pad
        if top != bottom or left != right:
            return PaddedConv2d(cin, spec["out"], k, stride, dilation=d, groups=groups,
                                bias=spec.get("bias", True), pad4=pad)
        pad = (top, left)
    else:
        pad = _pair(pad)
    return nn.Conv2d(cin, spec["out"], k, stride, pad, dilation=d, groups=groups, bias=spec.get("bias", True))


def _module(spec, shapes, fail):
    """The module of one node, given its input shapes (each with a batch of 1)."""
    t = spec["type"]
    shape = shapes[0]
    if t not in _MULTI_INPUT and not (t == "Concat" and "inputs" in spec) and len(shapes) != 1:
        fail(f"takes one input, got {len(shapes)}")

    def channels():
        if len(shape) != 4:
            fail(f"needs an input (C, H, W); its input is {tuple(shape[1:])}")
        if spec.get("in", shape[1]) != shape[1]:
            fail(f"\"in\": {spec['in']} but its input has {shape[1]} channels")
        return shape[1]

    if t == "Conv2d":
        return _conv(spec, channels(), fail)
    if t == "Linear":
        if len(shape) != 2:
            fail(f"needs a flat input; its input is {tuple(shape[1:])}: add a Flatten before it")
        return nn.Linear(shape[1], spec["out"], bias=spec.get("bias", True))
    if t in ("MaxPool2d", "AvgPool2d"):
        k = _pair(spec["kernel"])
        stride, pad = _pair(spec.get("stride", spec["kernel"])), _pair(spec.get("padding", 0))
        ceil = spec.get("ceil_mode", False)
        if t == "MaxPool2d":
            return nn.MaxPool2d(k, stride, pad, ceil_mode=ceil)
        return nn.AvgPool2d(k, stride, pad, ceil_mode=ceil, count_include_pad=spec.get("count_include_pad", True))
    if t == "GlobalAvgPool2d":
        channels()
        return nn.AdaptiveAvgPool2d(1)
    if t == "AdaptiveAvgPool2d":
        channels()
        return nn.AdaptiveAvgPool2d(_pair(spec["output"]))
    if t in ("BatchNorm2d", "BatchNorm1d"):
        c = channels() if t == "BatchNorm2d" else shape[1]
        cls = nn.BatchNorm2d if t == "BatchNorm2d" else nn.BatchNorm1d
        return cls(c, eps=spec.get("eps", 1e-5), momentum=spec.get("momentum", 0.1))
    if t in _ACTIVATIONS:
        return _ACTIVATIONS[t]()
    if t == "LeakyReLU":
        return nn.LeakyReLU(spec.get("slope", 0.01))
    if t == "Softmax":
        return nn.Softmax(dim=1)
    if t == "Dropout":
        return nn.Dropout(spec.get("p", 0.5))
    if t == "ChannelPad":
        cin = channels()
        if spec["out"] < cin:
            fail(f"\"out\": {spec['out']} is fewer than its {cin} input channels")
        return ChannelPad(cin, spec["out"], spec.get("stride", 1))
    if t == "Add":
        if len(shapes) < 2 or any(s != shape for s in shapes):
            fail(f"needs >= 2 inputs of equal shape, got {[tuple(s[1:]) for s in shapes]}")
        return Add()
    if t == "Mul":
        gate = shapes[1] if len(shapes) == 2 else None
        if gate is None or not (gate == shape or (len(shape) == 4 and gate == shape[:2] + [1, 1])):
            fail(f"needs 2 inputs, (C, H, W) and (C, H, W) or (C, 1, 1), got {[tuple(s[1:]) for s in shapes]}")
        return Mul()
    if t == "Concat" and "inputs" in spec:
        if len(shapes) < 2 or any(len(s) != len(shape) or s[2:] != shape[2:] for s in shapes):
            fail(f"needs >= 2 inputs that differ only in channels, got {[tuple(s[1:]) for s in shapes]}")
        return Cat()
    fail("has no PyTorch counterpart here")


def _build_layers(layers, sample, source):
    """An nn.Module for a list of nodes fed by a sample of shape `sample` (C, H, W)."""
    names, modules, inputs, shapes = [], [], [], []
    index = {"input": -1}
    counts = {}
    for i, spec in enumerate(layers):
        t = spec["type"]
        prefix = _PREFIX.get(t, t.lower())
        counts[prefix] = counts.get(prefix, 0) + 1  # 1 + earlier nodes with this prefix
        name = spec.get("name")
        if name is None:
            n = counts[prefix]
            while f"{prefix}{n}" in index:
                n += 1
            name = f"{prefix}{n}"

        def fail(what, i=i, name=name, t=t):
            raise ValueError(f"{source}: layer {i} '{name}' ({t}): {what}")

        if name in index:
            fail("the name is taken" if name != "input" else "\"input\" names the net's input")
        ins = spec.get("inputs", [names[-1] if names else "input"])
        for n in ins:
            if n not in index:
                fail(f"input '{n}' is not an earlier node")
        src = [index[n] for n in ins]
        in_shapes = [[1] + list(sample) if j < 0 else shapes[j] for j in src]
        if t == "Concat" and "inputs" not in spec:
            m = _branches(spec, in_shapes, source, fail)
        else:
            m = _module(spec, in_shapes, fail)
        with torch.no_grad():
            m.eval()
            shapes.append(list(m(*[torch.zeros(s) for s in in_shapes]).shape))
            m.train()
        index[name] = i
        names.append(name)
        modules.append(m)
        inputs.append(src)
    if all(src == [i - 1] for i, src in enumerate(inputs)):
        return nn.Sequential(*modules)  # a chain: exactly the modules of the sequential format
    return GraphNet(names, modules, inputs)


def _branches(spec, in_shapes, source, fail):
    if len(in_shapes) != 1:
        fail(f"with \"branches\" takes one input, got {len(in_shapes)}")
    if not spec.get("branches"):
        fail("needs \"branches\" (a list of layer lists) or \"inputs\" (>= 2 node names)")
    branches = []
    for k, b in enumerate(spec["branches"], 1):
        name = b.get("name", f"b{k}") if isinstance(b, dict) else f"b{k}"
        layers = b["layers"] if isinstance(b, dict) else b
        branches.append(_build_layers(layers, in_shapes[0][1:], f"{source}: layer '{spec.get('name', 'Concat')}' branch '{name}'"))
    return Branches(branches)


def build(doc):
    """nn.Module for a parsed model file. Raises ValueError naming the layer when a node is not
    understood (e.g. SparseConv2d, which has no PyTorch counterpart here)."""
    return _build_layers(doc["layers"], doc["input"], doc.get("name", "model"))


def count(model, sample):
    """(trainable parameters, multiply-accumulates per sample of Conv2d and Linear layers)."""
    macs = []

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            macs.append(out.numel() // out.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1])
        else:
            macs.append(out.numel() // out.shape[0] * m.in_features)

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros([1] + list(sample)))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return sum(p.numel() for p in model.parameters() if p.requires_grad), sum(macs)


def main():
    names = sys.argv[1:] or sorted(f[:-5] for f in os.listdir(PRESETS) if f.endswith(".json"))
    print(f"{'model':<24}{'parameters':>12}{'MMACs/image':>13}")
    for name in names:
        doc = load(name)
        try:
            params, macs = count(build(doc), doc["input"])
        except ValueError as e:
            print(f"{name:<24}{'n/a':>12}{'':>13}  {e}")
            continue
        print(f"{name:<24}{params:>12,}{macs / 1e6:>13.2f}")


if __name__ == "__main__":
    main()
