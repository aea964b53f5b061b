"""The study's two CNN families, with stable, readable parameter names.

Model 1, `resvgg`: VGG-style stages of 3x3 convs, each followed by BatchNorm; every stage is a residual block whose
shortcut is a 1x1 conv with its own BN (`shortcut<s>`, `shortcut_bn<s>`). Model 2, `vgg`: the same convs with biases
and no BN or shortcuts. A 2x2 max-pool ends each stage; both end in fc1 -> fc2 -> fc3 (logits).

Conv layers are numbered through the network (conv1, conv2, ...) so that conv k of one model faces conv k of the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .config import Architecture


@dataclass(frozen=True)
class LayerInfo:
    name: str       # module name, e.g. "conv3", "shortcut_bn2", "fc1"
    kind: str       # "conv", "bn", "shortcut" or "fc"
    order: int      # position in the forward pass


class ConvNet(nn.Module):
    def __init__(self, arch: Architecture):
        super().__init__()
        self.arch = arch
        self.stage_convs: list[list[int]] = []     # conv numbers per stage
        c_in, k = 3, 0
        for s, widths in enumerate(arch.stages, start=1):
            stage_in = c_in
            numbers = []
            for w in widths:
                k += 1
                numbers.append(k)
                self.add_module(f"conv{k}", nn.Conv2d(c_in, w, 3, padding=1, bias=not arch.batchnorm))
                if arch.batchnorm:
                    self.add_module(f"bn{k}", nn.BatchNorm2d(w))
                c_in = w
            if arch.shortcuts:
                self.add_module(f"shortcut{s}", nn.Conv2d(stage_in, c_in, 1, bias=False))
                self.add_module(f"shortcut_bn{s}", nn.BatchNorm2d(c_in))
            self.stage_convs.append(numbers)
        side = 32 // 2 ** len(arch.stages)
        widths = [c_in * side * side, *arch.fc_hidden, arch.num_classes]
        for j in range(len(widths) - 1):
            self.add_module(f"fc{j + 1}", nn.Linear(widths[j], widths[j + 1]))
        self.n_fc = len(widths) - 1

    def forward(self, x: torch.Tensor, record: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Logits for images x (N, 3, 32, 32). When `record` is a dict, it receives each ReLU's output by layer name."""
        for s, numbers in enumerate(self.stage_convs, start=1):
            stage_in = x
            for j, k in enumerate(numbers):
                x = getattr(self, f"conv{k}")(x)
                if self.arch.batchnorm:
                    x = getattr(self, f"bn{k}")(x)
                if self.arch.shortcuts and j == len(numbers) - 1:
                    x = x + getattr(self, f"shortcut_bn{s}")(getattr(self, f"shortcut{s}")(stage_in))
                x = F.relu(x)
                if record is not None:
                    record[f"conv{k}"] = x
            x = F.max_pool2d(x, 2)
        x = x.flatten(1)      # (N, C * side * side)
        for j in range(1, self.n_fc + 1):
            x = getattr(self, f"fc{j}")(x)
            if j < self.n_fc:
                x = F.relu(x)
                if record is not None:
                    record[f"fc{j}"] = x
        return x

    def layers(self) -> list[LayerInfo]:
        """Every layer with parameters, in forward order."""
        out = []
        for s, numbers in enumerate(self.stage_convs, start=1):
            for k in numbers:
                out.append(("conv", f"conv{k}"))
                if self.arch.batchnorm:
                    out.append(("bn", f"bn{k}"))
            if self.arch.shortcuts:
                out += [("shortcut", f"shortcut{s}"), ("bn", f"shortcut_bn{s}")]
        out += [("fc", f"fc{j}") for j in range(1, self.n_fc + 1)]
        return [LayerInfo(name=n, kind=kind, order=i) for i, (kind, n) in enumerate(out)]


def build_model(arch: Architecture) -> ConvNet:
    return ConvNet(arch)
