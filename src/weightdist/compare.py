"""Group comparisons against the seed-to-seed noise, and the link between per-layer measures and accuracy.

group_comparison.tsv (one row per comparison x parameter x variant):
    comparison, group_a, group_b ("model/init"), param, layer, kind, variant ("raw" | "effective": BN folded in),
    n_a, n_b (completed seeds), ks_between, ks_within, ks_between_min, ks_within_max, ks_ratio (between / within),
    w1_between, w1_within, w1_between_min, w1_within_max, w1_ratio, differs
  *_between: mean (and min) over every pair (seed of A, seed of B) of the distance between their weights;
  *_within: mean (and max) over every pair of seeds inside A and inside B. KS is the two-sample Kolmogorov-Smirnov
  statistic, w1 the Wasserstein-1 distance. The rule: a layer differs when every cross-group pair of seeds is farther
  apart than every same-group pair, by both distances (ks_between_min > ks_within_max and w1_between_min >
  w1_within_max). It needs at least 2 seeds per group. Layers with more than 100,000 weights are compared on a fixed
  random subsample of 100,000 per seed.

accuracy_correlation.tsv (one row per scope x measure x layer):
    scope ("all" runs, or one model), measure, layer, n_runs, spearman (rank correlation with final test accuracy),
    ci_low, ci_high (95 % percentile bootstrap over runs, 2000 resamples)
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as st

SUBSAMPLE = 100_000
BOOTSTRAP = 2000


@dataclass(frozen=True)
class Comparison:
    name: str
    a: tuple[str, str]        # (model, init)
    b: tuple[str, str]
    variants: tuple[str, ...] = ("raw",)


def comparisons(config: dict) -> list[Comparison]:
    """Experiment A: Model 1 vs Model 2 (raw and BN-folded); experiment B: every pair of initialisations."""
    out = []
    a, b = config["experiments"]["a"], config["experiments"]["b"]
    if a is not None:
        m1, m2 = a["models"]
        out.append(Comparison(f"A: {m1} vs {m2}", (m1, a["init"]), (m2, a["init"]), ("raw", "effective")))
    if b is not None:
        for i, j in itertools.combinations(b["inits"], 2):
            out.append(Comparison(f"B: {j} vs {i}", (b["model"], j), (b["model"], i)))
    return out


def subsample(w: np.ndarray, key: str) -> np.ndarray:
    w = np.ravel(w)
    if w.size <= SUBSAMPLE:
        return w
    rng = np.random.default_rng(zlib.crc32(key.encode()))   # the same fixed subsample every time
    return rng.choice(w, SUBSAMPLE, replace=False)


def distances(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    return float(st.ks_2samp(x, y).statistic), float(st.wasserstein_distance(x, y))


def compare_samples(a: list[np.ndarray], b: list[np.ndarray]) -> dict[str, float]:
    """Between- and within-group distances of two groups of per-seed samples, and the verdict."""
    between = [distances(x, y) for x in a for y in b]
    within = [distances(x, y) for g in (a, b) for x, y in itertools.combinations(g, 2)]
    out = {"n_a": len(a), "n_b": len(b)}
    for i, name in enumerate(("ks", "w1")):
        bt = np.array([d[i] for d in between])
        wi = np.array([d[i] for d in within])
        out[f"{name}_between"] = bt.mean() if bt.size else np.nan
        out[f"{name}_within"] = wi.mean() if wi.size else np.nan
        out[f"{name}_between_min"] = bt.min() if bt.size else np.nan
        out[f"{name}_within_max"] = wi.max() if wi.size else np.nan
        out[f"{name}_ratio"] = out[f"{name}_between"] / out[f"{name}_within"] if wi.size and wi.mean() > 0 else np.nan
    enough = len(a) >= 2 and len(b) >= 2
    out["differs"] = bool(enough and out["ks_between_min"] > out["ks_within_max"]
                          and out["w1_between_min"] > out["w1_within_max"])
    return out


def group_states(runs, model: str, init: str) -> list[dict[str, np.ndarray]]:
    from .weights import WeightFile

    states = []
    for path in runs.completed(model, init).path:
        with WeightFile(path) as wf:
            states.append(wf.state())
    return states


def parameter_samples(states: list[dict], variant: str) -> dict[str, list[np.ndarray]]:
    """{param: [flat weights per seed]} of weights (conv, shortcut, fc) and BN gammas; effective = BN folded."""
    from .layers import kind_of
    from .measures import effective_weights

    out: dict[str, list[np.ndarray]] = {}
    for state in states:
        if variant == "effective":
            items = {f"{layer}.weight": eff for layer, (_, eff) in effective_weights(state).items()}
        else:
            items = {k: v for k, v in state.items() if k.endswith(".weight")}
        for key, w in items.items():
            if variant == "effective" and kind_of(key[:-7]) == "bn":
                continue
            out.setdefault(key, []).append(subsample(w, key))
    return out


COMPARISON_COLUMNS = ["comparison", "group_a", "group_b", "param", "layer", "kind", "variant", "n_a", "n_b",
                      *[f"{d}_{s}" for d in ("ks", "w1")
                        for s in ("between", "within", "between_min", "within_max", "ratio")], "differs"]


def compare_groups(runs, comps: list[Comparison]) -> pd.DataFrame:
    from .layers import kind_of, layer_sort_key

    rows = []
    for comp in comps:
        states_a, states_b = group_states(runs, *comp.a), group_states(runs, *comp.b)
        for variant in comp.variants:
            sa, sb = parameter_samples(states_a, variant), parameter_samples(states_b, variant)
            for key in sorted(set(sa) & set(sb), key=lambda k: layer_sort_key(k[:-7])):
                layer = key[:-7]
                rows.append({"comparison": comp.name, "group_a": "/".join(comp.a), "group_b": "/".join(comp.b),
                             "param": key, "layer": layer, "kind": kind_of(layer), "variant": variant,
                             **compare_samples(sa[key], sb[key])})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


# ---------------------------------------------------------------------------------------------------------------------
# Accuracy link


def run_features(runs: pd.DataFrame, layer_stats: pd.DataFrame, measures: pd.DataFrame,
                 gradients: pd.DataFrame) -> pd.DataFrame:
    """Long table (model, init, seed, test_acc, measure, layer, value) of final-epoch per-layer measures."""
    done = runs[runs.status == "completed"][["model", "init", "seed", "test_acc", "final_epoch"]]
    key = ["model", "init", "seed"]
    parts = []
    s = layer_stats.merge(done, on=key)
    s = s[(s.epoch == s.final_epoch) & (s.role == "weight")]
    for m in ("std", "skew", "kurtosis", "frac_near_zero", "l2"):
        parts.append(s[key + ["test_acc", "layer"]].assign(measure=m, value=s[m]))
    if len(measures):
        x = measures.merge(done, on=key)
        x = x[x.epoch == x.final_epoch]
        raw, effective = x[x.variant == "raw"], x[x.variant == "effective"]
        for m in ("dead_frac", "mean_abs_cos", "alpha", "stable_rank", "spectral_norm"):
            parts.append(raw[key + ["test_acc", "layer"]].assign(measure=m, value=raw[m]))
        # BN folded in, as in the figure and the claims: weight decay only rescales a conv that BN follows
        parts.append(effective[key + ["test_acc", "layer"]].assign(measure="rel_change", value=effective.rel_change))
    if len(gradients):
        g = gradients[gradients.param.str.endswith(".weight")].groupby(key + ["layer"], as_index=False).grad_norm.mean()
        g = g.merge(done, on=key)
        parts.append(g[key + ["test_acc", "layer"]].assign(measure="grad_norm", value=g.grad_norm))
    out = pd.concat(parts, ignore_index=True)
    return out[np.isfinite(out.value.astype(float))]


def spearman_bootstrap(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_boot: int = BOOTSTRAP):
    """Spearman's rho and its 95 % percentile bootstrap interval (resampling runs)."""
    rho = st.spearmanr(x, y).statistic
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    rx, ry = st.rankdata(x[idx], axis=1), st.rankdata(y[idx], axis=1)
    rx -= rx.mean(1, keepdims=True)
    ry -= ry.mean(1, keepdims=True)
    denom = np.sqrt((rx ** 2).sum(1) * (ry ** 2).sum(1))
    valid = denom > 0
    boots = (rx * ry).sum(1)[valid] / denom[valid]
    if boots.size < n_boot / 2:
        return rho, np.nan, np.nan
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return rho, lo, hi


def accuracy_correlations(features: pd.DataFrame, min_runs: int = 6, seed: int = 0) -> pd.DataFrame:
    from .layers import layer_sort_key

    rng = np.random.default_rng(seed)
    rows = []
    scopes = [("all", features)] + [(m, g) for m, g in features.groupby("model")]
    for scope, frame in scopes:
        for (measure, layer), g in frame.groupby(["measure", "layer"], sort=False):
            x, y = g.value.to_numpy(float), g.test_acc.to_numpy(float)
            if len(g) < min_runs or np.ptp(x) == 0 or np.ptp(y) == 0:
                rho, lo, hi = np.nan, np.nan, np.nan
            else:
                rho, lo, hi = spearman_bootstrap(x, y, rng)
            rows.append({"scope": scope, "measure": measure, "layer": layer, "n_runs": len(g), "spearman": rho,
                         "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows, columns=["scope", "measure", "layer", "n_runs", "spearman", "ci_low", "ci_high"])
    if len(out):
        out["_order"] = out.layer.map(layer_sort_key)
        out = out.sort_values(["scope", "measure", "_order"]).drop(columns="_order").reset_index(drop=True)
    return out
