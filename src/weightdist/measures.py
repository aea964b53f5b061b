"""Measured explanations, per run, snapshot and layer: dead units, filters, spectra, BN-folded weights.

measures.tsv columns (one row per run x snapshot x conv/shortcut/fc layer x variant):
    model, init, seed, epoch, layer, kind, variant
        variant "raw": the stored weights; "effective": with BatchNorm folded in (W * gamma / sqrt(running_var + eps),
        per output channel; equal to raw for layers without BN), so BN and plain models compare fairly
    mean, std, skew, kurtosis, frac_near_zero     distribution of the (raw or effective) weights, as in layer_stats
    units                                         output channels (conv) or neurons (fc)
    dead_frac      share of units never active (ReLU output > 0 nowhere) on any test image; raw rows only
    rare_frac      share of units active on under 1 % of test images (dead units included); raw rows only
    active_rate    mean over units of the share of test images on which the unit is active; raw rows only
                   (a conv channel is active on an image when its ReLU map is positive anywhere; fc3 has no ReLU)
    filter_norm_mean, filter_norm_cv              L2 norm of each filter (row of W), mean and sd/mean
    rel_change     how far training moved the layer: ||W - W0|| / ||W0|| (Frobenius; W0 the same variant at epoch 0)
    static_frac    share of units whose filter (row of W) moved under 10 % of its initial norm: units that "did not
                   learn"
    unit_change_cv sd / mean over units of each filter's relative change: how unevenly the units learned
    mean_abs_cos   mean |cosine similarity| over all pairs of filters: 0 = orthogonal (diverse), 1 = collinear
    frobenius, spectral_norm, stable_rank (= frobenius^2 / spectral_norm^2)
    alpha, alpha_xmin, alpha_ks     power-law exponent of the tail of the eigenvalue spectrum of W^T W (maximum
                                    likelihood, xmin chosen by the smallest Kolmogorov-Smirnov distance)
    n_eigenvalues, alpha_reliable   min(rows, cols) of W; the fit is flagged unreliable under 50 eigenvalues
Conv weights are reshaped to (out, in*k*k) for the filter and spectral measures.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .layers import kind_of
from .stats import describe

BN_EPS = 1e-5          # torch.nn.BatchNorm2d's default
MIN_TAIL = 10          # fewest eigenvalues a power-law tail is fitted to
RELIABLE_EIGS = 50     # under this many eigenvalues the alpha fit is flagged
RARE = 0.01            # "rarely active": on under 1 % of test images
STATIC = 0.1           # "did not learn": a filter moved under 10 % of its initial norm


# ---------------------------------------------------------------------------------------------------------------------
# Weight-only measures


def as_matrix(w: np.ndarray) -> np.ndarray:
    """(out, in, k, k) or (out, in) -> (out, in*k*k), float64."""
    return np.asarray(w, dtype=np.float64).reshape(w.shape[0], -1)


def filter_measures(w: np.ndarray) -> dict[str, float]:
    m = as_matrix(w)
    norms = np.linalg.norm(m, axis=1)
    alive = norms > 1e-12
    out = {"filter_norm_mean": norms.mean(),
           "filter_norm_cv": norms.std() / norms.mean() if norms.mean() > 0 else np.nan}
    unit = m[alive] / norms[alive, None]
    if len(unit) < 2:
        out["mean_abs_cos"] = np.nan
        return out
    cos = np.abs(unit @ unit.T)
    iu = np.triu_indices(len(unit), k=1)
    out["mean_abs_cos"] = float(cos[iu].mean())
    return out


def change_measures(w: np.ndarray, w0: np.ndarray | None) -> dict[str, float]:
    """How far a layer moved from its initial weights w0: the whole layer, and unit by unit (rows)."""
    if w0 is None or w0.shape != w.shape:
        return {"rel_change": np.nan, "static_frac": np.nan, "unit_change_cv": np.nan}
    m, m0 = as_matrix(w), as_matrix(w0)
    norm0 = np.linalg.norm(m0, axis=1)
    moved = np.linalg.norm(m - m0, axis=1)
    total0 = np.sqrt(np.sum(norm0 ** 2))
    ok = norm0 > 1e-12
    unit = moved[ok] / norm0[ok]
    return {"rel_change": float(np.sqrt(np.sum(moved ** 2)) / total0) if total0 > 0 else np.nan,
            "static_frac": float(np.mean(unit < STATIC)) if len(unit) else np.nan,
            "unit_change_cv": float(unit.std() / unit.mean()) if len(unit) and unit.mean() > 0 else np.nan}


def powerlaw_alpha(eigenvalues: np.ndarray) -> tuple[float, float, float]:
    """(alpha, xmin, ks) of a continuous power law p(x) ~ x^-alpha fitted to the tail x >= xmin.

    For each candidate xmin (every eigenvalue leaving at least MIN_TAIL in the tail) alpha is the maximum-likelihood
    estimate 1 + n / sum(ln(x / xmin)); the xmin whose fit has the smallest Kolmogorov-Smirnov distance wins
    (Clauset, Shalizi and Newman 2009; the method of WeightWatcher).
    """
    x = np.sort(np.asarray(eigenvalues, dtype=np.float64))
    x = x[x > x[-1] * 1e-12] if len(x) else x
    if len(x) < MIN_TAIL:
        return np.nan, np.nan, np.nan
    best = (np.nan, np.nan, np.inf)
    for i in range(len(x) - MIN_TAIL + 1):
        tail = x[i:]
        logs = np.log(tail / tail[0])
        if logs.sum() <= 0:
            continue
        alpha = 1 + len(tail) / logs.sum()
        fitted = 1 - (tail / tail[0]) ** (1 - alpha)
        n = len(tail)
        empirical_hi = np.arange(1, n + 1) / n
        empirical_lo = np.arange(0, n) / n
        ks = max(np.abs(fitted - empirical_hi).max(), np.abs(fitted - empirical_lo).max())
        if ks < best[2]:
            best = (alpha, tail[0], ks)
    return best


def spectral_measures(w: np.ndarray) -> dict[str, float]:
    m = as_matrix(w)
    s = np.linalg.svd(m, compute_uv=False)
    frob, spec = float(np.sqrt(np.sum(s ** 2))), float(s[0])
    alpha, xmin, ks = powerlaw_alpha(s ** 2)
    return {"frobenius": frob, "spectral_norm": spec, "stable_rank": frob ** 2 / spec ** 2 if spec > 0 else np.nan,
            "alpha": alpha, "alpha_xmin": xmin, "alpha_ks": ks, "n_eigenvalues": len(s),
            "alpha_reliable": bool(len(s) >= RELIABLE_EIGS and np.isfinite(alpha))}


def effective_weights(state: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{layer: (raw weight, effective weight)} for every conv, shortcut and fc layer; BN folded where it follows."""
    out = {}
    for key, w in state.items():
        if not key.endswith(".weight"):
            continue
        layer = key[: -len(".weight")]
        kind = kind_of(layer)
        if kind not in ("conv", "shortcut", "fc"):
            continue
        bn = f"bn{layer[4:]}" if kind == "conv" else f"shortcut_bn{layer[8:]}" if kind == "shortcut" else None
        eff = w
        if bn is not None and f"{bn}.weight" in state:
            scale = state[f"{bn}.weight"] / np.sqrt(state[f"{bn}.running_var"] + BN_EPS)
            eff = w * scale.reshape(-1, *([1] * (w.ndim - 1)))
        out[layer] = (w, eff.astype(np.float32))
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Activation measures


def activation_rates(model, loader, device, precision: str = "fp32") -> dict[str, np.ndarray]:
    """{layer: share of images on which each unit's ReLU output is positive}, over one pass of `loader`."""
    import torch

    from .device import autocast

    model.eval()
    counts: dict[str, torch.Tensor] = {}
    n = 0
    with torch.no_grad():
        for x, _ in loader.epoch():
            record: dict[str, torch.Tensor] = {}
            with autocast(device, precision):
                model(x, record=record)
            for layer, act in record.items():
                active = (act > 0).flatten(2).any(2) if act.dim() == 4 else act > 0      # (N, units)
                counts[layer] = counts.get(layer, 0) + active.sum(0)
            n += len(x)
    return {layer: (c.double() / n).cpu().numpy() for layer, c in counts.items()}


def unit_measures(rates: np.ndarray) -> dict[str, float]:
    return {"units": len(rates), "dead_frac": float(np.mean(rates == 0)), "rare_frac": float(np.mean(rates < RARE)),
            "active_rate": float(rates.mean())}


# ---------------------------------------------------------------------------------------------------------------------
# One run


def run_measures(weights: str | Path, data_path: str | Path, near_zero_rel: float = 0.1,
                 device_name: str = "cpu") -> pd.DataFrame:
    import torch

    from .config import RunConfig
    from .data import DeviceLoader, load_prepared
    from .device import resolve_device
    from .models import build_model
    from .weights import WeightFile

    device = resolve_device(device_name)
    data = load_prepared(data_path, device)
    # fp32 so that "never active" (an exact sign test) is not blurred by bf16 rounding; channels_last is ~1.3x faster
    loader = DeviceLoader(data.test, 500, data.mean, data.std, channels_last=True)
    rows = []
    with WeightFile(weights) as wf:
        run = RunConfig.from_dict(json.loads(wf.attrs["config_json"]))
        key = {"model": wf.attrs["model"], "init": wf.attrs["init"], "seed": int(wf.attrs["seed"])}
        model = build_model(run.arch).to(device, memory_format=torch.channels_last)
        initial = effective_weights(wf.state(0)) if 0 in wf.epochs else {}
        for epoch in wf.epochs:
            state = wf.state(epoch)
            missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()},
                                                        strict=False)
            if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
                raise ValueError(f"{weights}: epoch {epoch} does not fit the model ({missing}, {unexpected})")
            rates = activation_rates(model, loader, device)
            for layer, (raw, eff) in effective_weights(state).items():
                raw0, eff0 = initial.get(layer, (None, None))
                for variant, w, w0 in (("raw", raw, raw0), ("effective", eff, eff0)):
                    d = describe(w, near_zero_rel)
                    row = {**key, "epoch": epoch, "layer": layer, "kind": kind_of(layer), "variant": variant,
                           **{k: d[k] for k in ("mean", "std", "skew", "kurtosis", "frac_near_zero")},
                           "units": w.shape[0]}
                    if variant == "raw" and layer in rates:
                        row.update(unit_measures(rates[layer]))
                    row.update(filter_measures(w))
                    row.update(change_measures(w, w0))
                    row.update(spectral_measures(w))
                    rows.append(row)
    return pd.DataFrame(rows)
