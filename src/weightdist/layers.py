"""Layer naming shared by every stage (no torch import, so light jobs and the Snakefile stay fast)."""

from __future__ import annotations

KINDS = ("conv", "bn", "shortcut", "fc")


def layer_of(param_name: str) -> str:
    """'conv3.weight' -> 'conv3'; 'shortcut_bn1.running_mean' -> 'shortcut_bn1'."""
    return param_name.rsplit(".", 1)[0]


def kind_of(layer: str) -> str:
    """'conv3' -> 'conv', 'bn3' and 'shortcut_bn1' -> 'bn', 'shortcut1' -> 'shortcut', 'fc2' -> 'fc'."""
    for prefix, kind in (("shortcut_bn", "bn"), ("shortcut", "shortcut"), ("conv", "conv"), ("bn", "bn"), ("fc", "fc")):
        if layer.startswith(prefix) and layer[len(prefix):].isdigit():
            return kind
    raise ValueError(f"unknown layer name {layer!r}")


def number_of(layer: str) -> int:
    return int("".join(ch for ch in layer if ch.isdigit()))


def layer_sort_key(layer: str) -> tuple[int, int, int]:
    """Forward order: conv k, bn k, ..., a stage's shortcut and its BN after the stage, then fc1, fc2, fc3."""
    kind = kind_of(layer)
    if kind == "fc":
        return (1, number_of(layer), 0)
    if kind in ("shortcut",) or layer.startswith("shortcut_bn"):
        # shortcuts are numbered by stage; sort them after every conv (stage order among themselves)
        return (0, 10_000 + number_of(layer), 1 if layer.startswith("shortcut_bn") else 0)
    return (0, number_of(layer), 0 if kind == "conv" else 1)
