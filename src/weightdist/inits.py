"""The four initialisations of experiment B, applied to every conv and linear layer.

    default     PyTorch's own reset_parameters, reproduced with an explicit generator:
                weight ~ U(-b, b), b = 1/sqrt(fan_in) (kaiming_uniform_ with a=sqrt(5)), var 1/(3 fan_in);
                bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    he          weight ~ N(0, 2/fan_in) (kaiming_normal_, mode fan_in, ReLU gain sqrt 2); bias = 0.
    xavier      weight ~ U(-a, a), a = sqrt(6/(fan_in + fan_out)) (xavier_uniform_, gain 1), var 2/(fan_in+fan_out);
                bias = 0.
    orthogonal  weight flattened to (out, in*k*h) with orthonormal rows (or columns, if rows outnumber them),
                gain 1 (orthogonal_), element var 1/max(rows, cols); bias = 0.

fan_in = in_channels * k * k, fan_out = out_channels * k * k for a conv; in and out features for a linear layer.
BatchNorm is the same under every method: gamma = 1, beta = 0. Only the generator passed in draws random numbers, so
the same seed gives the same weights.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import INIT_NAMES


def fans(weight: torch.Tensor) -> tuple[int, int]:
    receptive = weight[0, 0].numel() if weight.dim() > 2 else 1
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def expected_std(name: str, weight: torch.Tensor) -> float:
    """Theoretical standard deviation of a weight tensor's elements under each initialisation."""
    fan_in, fan_out = fans(weight)
    rows, cols = weight.shape[0], weight.numel() // weight.shape[0]
    return {"default": 1 / math.sqrt(3 * fan_in), "he": math.sqrt(2 / fan_in),
            "xavier": math.sqrt(2 / (fan_in + fan_out)), "orthogonal": 1 / math.sqrt(max(rows, cols))}[name]


@torch.no_grad()
def initialise(model: nn.Module, name: str, generator: torch.Generator) -> None:
    if name not in INIT_NAMES:
        raise ValueError(f"unknown initialisation {name!r}; choose one of {INIT_NAMES}")
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            w, b = module.weight, module.bias
            if name == "default":
                nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)
                if b is not None:
                    bound = 1 / math.sqrt(fans(w)[0])
                    nn.init.uniform_(b, -bound, bound, generator=generator)
                continue
            if name == "he":
                nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu", generator=generator)
            elif name == "xavier":
                nn.init.xavier_uniform_(w, gain=1.0, generator=generator)
            else:
                nn.init.orthogonal_(w, gain=1.0, generator=generator)
            if b is not None:
                nn.init.zeros_(b)
        elif isinstance(module, nn.BatchNorm2d):
            module.reset_parameters()   # gamma 1, beta 0, running stats reset
