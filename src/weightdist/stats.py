"""Distribution statistics of weights, per run, snapshot and parameter; run and history tables.

layer_stats.tsv columns (one row per run x snapshot x trained parameter):
    model, init, seed, epoch, param (state_dict key), layer, kind (conv | bn | shortcut | fc), role (weight | bias),
    n (elements), mean, std (population), skew, kurtosis (excess: 0 for a normal), min, max,
    q01, q05, q25, q50, q75, q95, q99 (quantiles),
    frac_near_zero (share with |w| <= near_zero_rel x std of the same tensor; 0.0797 for a normal at 0.1),
    frac_abs_below (share with |w| < near_zero_abs), l2 (Euclidean norm)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as st

from .fileio import CorruptFileError, rebuild_hint
from .layers import kind_of, layer_of
from .weights import WeightFile

QUANTILES = (1, 5, 25, 50, 75, 95, 99)
RUN_KEYS = ["model", "init", "seed"]


def describe(values: np.ndarray, near_zero_rel: float = 0.1, near_zero_abs: float = 0.01) -> dict[str, float]:
    w = np.asarray(values, dtype=np.float64).ravel()
    mean, std = w.mean(), w.std()
    constant = std <= 1e-12 * max(1.0, abs(mean))
    q = np.percentile(w, QUANTILES)
    out = {"n": w.size, "mean": mean, "std": std,
           "skew": np.nan if constant else float(st.skew(w)),
           "kurtosis": np.nan if constant else float(st.kurtosis(w, fisher=True)),
           "min": w.min(), "max": w.max()}
    out.update({f"q{p:02d}": v for p, v in zip(QUANTILES, q)})
    out["frac_near_zero"] = float(np.mean(np.abs(w) <= near_zero_rel * std))
    out["frac_abs_below"] = float(np.mean(np.abs(w) < near_zero_abs))
    out["l2"] = float(np.sqrt(np.sum(w * w)))
    return out


def run_layer_stats(weights: str | Path, near_zero_rel: float, near_zero_abs: float) -> pd.DataFrame:
    rows = []
    with WeightFile(weights) as wf:
        run = {k: wf.attrs[k] for k in RUN_KEYS}
        for epoch in wf.epochs:
            for key, attrs in wf.entries(epoch):
                rows.append({**run, "epoch": epoch, "param": key, "layer": attrs["layer"], "kind": attrs["kind"],
                             "role": key.rsplit(".", 1)[1],
                             **describe(wf.read(key, epoch), near_zero_rel, near_zero_abs)})
    return pd.DataFrame(rows)


def read_metrics(path: str | Path) -> dict:
    try:
        metrics = json.loads(Path(path).read_text())
        if not isinstance(metrics, dict) or "history" not in metrics:
            raise ValueError("not a metrics record")
        return metrics
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise CorruptFileError(f"{path}: unreadable metrics file ({e}); {rebuild_hint(path)}") from e


RUN_COLUMNS = ["model", "init", "seed", "status", "epochs", "final_epoch", "test_acc", "test_loss", "train_acc",
               "train_loss", "best_test_acc", "best_epoch", "n_parameters", "wall_time_s", "train_seconds",
               "images_per_s", "device", "precision", "resumed_from_epoch", "diverged_epoch", "config_digest"]


def run_row(metrics: dict) -> dict:
    """One runs.tsv row from a metrics.json."""
    trained = [h for h in metrics["history"] if h["epoch"] > 0]
    best = max(metrics["history"], key=lambda h: h["test_acc"] if h["test_acc"] is not None else -1)
    row = {k: metrics.get(k) for k in RUN_COLUMNS}
    row.update({"best_test_acc": best["test_acc"], "best_epoch": best["epoch"],
                "train_seconds": sum(h["seconds"] for h in trained),
                "images_per_s": float(np.median([h["images_per_s"] for h in trained])) if trained else None,
                "diverged_epoch": (metrics.get("divergence") or {}).get("epoch")})
    return row


HISTORY_COLUMNS = ["model", "init", "seed", "status", "epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc",
                   "seconds"]
GRADIENT_COLUMNS = ["model", "init", "seed", "epoch", "param", "layer", "kind", "grad_norm"]


def history_rows(metrics: dict) -> list[dict]:
    """history.tsv rows: one per (run, epoch) with lr, train and test loss and accuracy, seconds."""
    keys = ("epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")
    return [{**{k: metrics[k] for k in RUN_KEYS}, "status": metrics["status"], **{k: h[k] for k in keys}}
            for h in metrics["history"]]


def gradient_rows(metrics: dict) -> list[dict]:
    """gradients.tsv rows: one per (run, epoch, parameter): mean over the epoch's steps of the gradient's L2 norm."""
    return [{**{k: metrics[k] for k in RUN_KEYS}, "epoch": h["epoch"], "param": p, "layer": layer_of(p),
             "kind": kind_of(layer_of(p)), "grad_norm": g}
            for h in metrics["history"] for p, g in h["grad_norm"].items()]
