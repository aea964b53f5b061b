"""Every claim of the original report as a measured quantity with a verdict.

claims.tsv columns: id, source (figure or table of the report), claim (the report's words), measured (the quantity
and criterion), values (per group: mean +- sd over completed seeds, n), verdict, rule.

Verdict rules (documented in README.md):
  * a property of one group ("Model 1's conv1 is symmetric"): supported if it holds for every seed, contradicted if
    it holds for none, inconclusive otherwise;
  * a comparison of two groups ("Model 2's conv1 is more spread out"): supported if every seed of one group exceeds
    every seed of the other in the stated direction, contradicted if every seed goes the other way, inconclusive
    otherwise, and inconclusive with fewer than 2 seeds in a group;
  * a claim with several parts is supported if all parts are, contradicted if any part is, inconclusive otherwise.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats as st

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
RULE_ALL = "holds for every seed"
RULE_GT = "every seed of one group beyond every seed of the other"


def holds(values, predicate: Callable[[float], bool]) -> str:
    values = [v for v in values if np.isfinite(v)]
    if not values:
        return INCONCLUSIVE
    hits = [bool(predicate(v)) for v in values]
    return SUPPORTED if all(hits) else CONTRADICTED if not any(hits) else INCONCLUSIVE


def greater(a, b) -> str:
    """Is group a larger than group b, seed for seed (all pairs)?"""
    a = [v for v in a if np.isfinite(v)]
    b = [v for v in b if np.isfinite(v)]
    if len(a) < 2 or len(b) < 2:
        return INCONCLUSIVE
    return SUPPORTED if min(a) > max(b) else CONTRADICTED if max(a) < min(b) else INCONCLUSIVE


def combine(*verdicts: str) -> str:
    if all(v == SUPPORTED for v in verdicts):
        return SUPPORTED
    return CONTRADICTED if CONTRADICTED in verdicts else INCONCLUSIVE


def fmt(label: str, values) -> str:
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if not v.size:
        return f"{label}: n/a"
    sd = f" ± {v.std(ddof=1):.3g}" if v.size > 1 else ""
    return f"{label}: {v.mean():.3g}{sd} (n={v.size})"


@dataclass
class Claim:
    id: str
    source: str
    claim: str
    measured: str
    values: str
    verdict: str
    rule: str


# ---------------------------------------------------------------------------------------------------------------------
# Per-seed quantities


def share_within(lo: float, hi: float) -> Callable[[np.ndarray], float]:
    return lambda w: float(np.mean((w >= lo) & (w <= hi)))


def peak(w: np.ndarray) -> float:
    """Position of the histogram's highest bin (50 bins over the 1st..99th percentile)."""
    lo, hi = np.percentile(w, [1, 99])
    counts, edges = np.histogram(w, bins=50, range=(lo, hi))
    i = int(np.argmax(counts))
    return float((edges[i] + edges[i + 1]) / 2)


class Evidence:
    """Per-seed values of everything a claim can ask for."""

    def __init__(self, runs, runs_table: pd.DataFrame, layer_stats: pd.DataFrame, measures: pd.DataFrame,
                 gradients: pd.DataFrame, history: pd.DataFrame):
        self.runs = runs
        done = runs_table[runs_table.status == "completed"]
        self.table = done
        key = ["model", "init", "seed"]
        s = layer_stats.merge(done[key + ["final_epoch"]], on=key)
        self.stats = s[s.epoch == s.final_epoch]
        m = measures.merge(done[key + ["final_epoch"]], on=key) if len(measures) else measures
        self.measures = m[m.epoch == m.final_epoch] if len(m) else m
        self.gradients = gradients.merge(done[key], on=key) if len(gradients) else gradients
        self.history = history.merge(done[key], on=key) if len(history) else history

    def stat(self, model, init, param, column) -> list[float]:
        s = self.stats
        return s[(s.model == model) & (s.init == init) & (s.param == param)].sort_values("seed")[column].tolist()

    def weights(self, model, init, params: list[str], fn) -> list[float]:
        """fn applied to each seed's final values of `params` (pooled)."""
        out = []
        for path in self.runs.completed(model, init).path:
            from .weights import WeightFile

            with WeightFile(path) as wf:
                have = dict(wf.entries())
                arrays = [wf.read(p).ravel() for p in params if p in have]
            if arrays:
                out.append(fn(np.concatenate(arrays)))
        return out

    def measure(self, model, init, layer, column, variant="raw") -> list[float]:
        m = self.measures
        if not len(m):
            return []
        return m[(m.model == model) & (m.init == init) & (m.layer == layer) & (m.variant == variant)] \
            .sort_values("seed")[column].tolist()

    def measure_mean(self, model, init, kinds, column) -> list[float]:
        """Per seed, the mean of `column` over the layers of the given kinds (raw weights)."""
        m = self.measures
        if not len(m):
            return []
        g = m[(m.model == model) & (m.init == init) & (m.variant == "raw") & m.kind.isin(kinds)]
        return g.groupby("seed")[column].mean().tolist()

    def grad(self, model, init, param) -> list[float]:
        g = self.gradients
        if not len(g):
            return []
        g = g[(g.model == model) & (g.init == init) & (g.param == param)]
        return g.groupby("seed").grad_norm.mean().tolist()

    def grad_spread(self, model, init) -> list[float]:
        """Per seed, the sd over layers of log10(mean gradient norm of the layer's weights): 0 = even flow."""
        g = self.gradients
        if not len(g):
            return []
        g = g[(g.model == model) & (g.init == init) & g.param.str.endswith(".weight") & (g.kind.isin(["conv", "fc"]))]
        per = g.groupby(["seed", "param"]).grad_norm.mean().reset_index()
        return per.groupby("seed").grad_norm.apply(lambda v: float(np.log10(v).std())).tolist()

    def accuracy(self, model, init, column="test_acc") -> list[float]:
        t = self.table
        return t[(t.model == model) & (t.init == init)].sort_values("seed")[column].tolist()

    def seed_pair_ks(self, model, init, param) -> list[float]:
        """KS distances between every pair of seeds' final weights of one parameter."""
        samples = self.weights(model, init, [param], lambda w: w)
        return [float(st.ks_2samp(a, b).statistic) for a, b in itertools.combinations(samples, 2)]

    def gap_by_epoch(self, model, better, worse) -> pd.Series:
        h = self.history
        if not len(h):
            return pd.Series(dtype=float)
        h = h[h.model == model]
        acc = h.groupby(["init", "epoch"]).test_acc.mean()
        if better not in acc.index.get_level_values(0) or worse not in acc.index.get_level_values(0):
            return pd.Series(dtype=float)
        return (acc[better] - acc[worse]).dropna()


# ---------------------------------------------------------------------------------------------------------------------
# The claims


def normal_like(ev: Evidence, model, init, params) -> tuple[str, list[str]]:
    verdicts, values = [], []
    for p in params:
        skew, kurt = ev.stat(model, init, p, "skew"), ev.stat(model, init, p, "kurtosis")
        verdicts += [holds(skew, lambda v: abs(v) < 0.5), holds(kurt, lambda v: abs(v) < 1)]
        values += [fmt(f"{p} skew", skew), fmt(f"{p} excess kurtosis", kurt)]
    return combine(*verdicts), values


def experiment_a_claims(ev: Evidence, config: dict) -> list[Claim]:
    a = config["experiments"]["a"]
    m1, m2 = a["models"]
    i = a["init"]
    L1, L2 = "Model 1", "Model 2"
    later = f"conv{a['later_conv']}"
    out = []

    def add(id_, source, claim, measured, values, verdict, rule=RULE_ALL):
        out.append(Claim(id_, source, claim, measured, "; ".join(values), verdict, rule))

    # Figure 1: conv1
    skew, kurt = ev.stat(m1, i, "conv1.weight", "skew"), ev.stat(m1, i, "conv1.weight", "kurtosis")
    centre = [m / s for m, s in zip(ev.stat(m1, i, "conv1.weight", "mean"), ev.stat(m1, i, "conv1.weight", "std"))]
    inside = ev.weights(m1, i, ["conv1.weight"], share_within(-0.5, 0.5))
    add("A1a", "Figure 1", f"{L1}'s conv1 is symmetric, near-normal, centred at 0, mostly within -0.5..0.5",
        "|skew| < 0.5, |excess kurtosis| < 1, |mean| < 0.1 sd, >= 90 % of weights in [-0.5, 0.5]",
        [fmt("skew", skew), fmt("excess kurtosis", kurt), fmt("mean/sd", centre), fmt("share in [-0.5, 0.5]", inside)],
        combine(holds(skew, lambda v: abs(v) < 0.5), holds(kurt, lambda v: abs(v) < 1),
                holds(centre, lambda v: abs(v) < 0.1), holds(inside, lambda v: v >= 0.9)))
    median = ev.stat(m2, i, "conv1.weight", "q50")
    peaks = ev.weights(m2, i, ["conv1.weight"], peak)
    sd1, sd2 = ev.stat(m1, i, "conv1.weight", "std"), ev.stat(m2, i, "conv1.weight", "std")
    add("A1b", "Figure 1", f"{L2}'s conv1 is shifted left (peak near -0.1) and spread out",
        "median < 0; histogram peak in [-0.15, -0.05]; sd larger than Model 1's",
        [fmt(f"{L2} median", median), fmt(f"{L2} peak", peaks), fmt(f"{L2} sd", sd2), fmt(f"{L1} sd", sd1)],
        combine(holds(median, lambda v: v < 0), holds(peaks, lambda v: -0.15 <= v <= -0.05), greater(sd2, sd1)),
        f"{RULE_ALL}; sd: {RULE_GT}")
    # Figure 2: conv2 more stable than conv1 (read as: less seed-to-seed variation)
    parts, values = [], []
    for m, label in ((m1, L1), (m2, L2)):
        k1, k2 = ev.seed_pair_ks(m, i, "conv1.weight"), ev.seed_pair_ks(m, i, "conv2.weight")
        parts.append(greater(k1, k2))
        values += [fmt(f"{label} conv1 seed-pair KS", k1), fmt(f"{label} conv2 seed-pair KS", k2)]
    add("A2", "Figure 2", "conv2 is more stable than conv1 in both models",
        "read as: smaller distance between the seeds' weight distributions (KS over seed pairs), conv2 < conv1",
        values, combine(*parts), RULE_GT + " (pairs of seeds)")
    # Figure 3: a later conv layer
    verdict, values = normal_like(ev, m1, i, [f"{later}.weight"])
    add("A3a", "Figure 3", f"{L1}'s {later} is normal-like and balanced", "|skew| < 0.5 and |excess kurtosis| < 1",
        values, verdict)
    nz1, nz2 = ev.stat(m1, i, f"{later}.weight", "frac_near_zero"), ev.stat(m2, i, f"{later}.weight", "frac_near_zero")
    kurt2 = ev.stat(m2, i, f"{later}.weight", "kurtosis")
    add("A3b", "Figure 3", f"{L2}'s {later} is strongly piled up at 0",
        "share near zero (|w| <= 0.1 sd) larger than Model 1's, and excess kurtosis > 1 (peaked)",
        [fmt(f"{L2} near-zero share", nz2), fmt(f"{L1} near-zero share", nz1), fmt(f"{L2} excess kurtosis", kurt2)],
        combine(greater(nz2, nz1), holds(kurt2, lambda v: v > 1)), f"{RULE_GT}; kurtosis: {RULE_ALL}")
    d1, d2 = ev.measure(m1, i, later, "dead_frac"), ev.measure(m2, i, later, "dead_frac")
    add("A3c", "Figure 3 (explanation)", f"{L2}'s {later} has dead features",
        "share of channels never active on the test set, larger than Model 1's",
        [fmt(f"{L2} dead share", d2), fmt(f"{L1} dead share", d1)], greater(d2, d1), RULE_GT)
    g1, g2 = ev.grad(m1, i, f"{later}.weight"), ev.grad(m2, i, f"{later}.weight")
    add("A3d", "Figure 3 (explanation)", f"gradients are not flowing to {L2}'s {later}",
        "gradient norm of the layer's weights (mean over steps and epochs) smaller than Model 1's",
        [fmt(f"{L2} gradient norm", g2), fmt(f"{L1} gradient norm", g1)], greater(g1, g2), RULE_GT)
    c1, c2 = (ev.measure(m, i, later, "rel_change", "effective") for m in (m1, m2))
    add("A3e", "Figure 3 (explanation)", f"many of {L2}'s {later} weights are unused",
        "read as: training moved the layer less from its initialisation, ||W - W0|| / ||W0|| of the BN-folded "
        "weights, than Model 1's",
        [fmt(f"{L2} relative change", c2), fmt(f"{L1} relative change", c1)], greater(c1, c2), RULE_GT)
    # Figure 4: BN gamma
    if m1 == "resvgg" or m2 == "resvgg":
        bn_model = "resvgg"
        from .config import architecture

        arch = architecture(config, bn_model)
        bns = [f"{b}.weight" for b in arch.layer_names("bn")]
        inside = ev.weights(bn_model, i, bns, share_within(0.6, 1.5))
        med = ev.weights(bn_model, i, bns, np.median)
        add("A4", "Figure 4", "Model 1's BatchNorm gammas spread over 0.6..1.5 around the initial 1.0",
            "over all main-path BN layers: >= 90 % of gammas in [0.6, 1.5], median in [0.9, 1.1]",
            [fmt("share in [0.6, 1.5]", inside), fmt("median", med)],
            combine(holds(inside, lambda v: v >= 0.9), holds(med, lambda v: 0.9 <= v <= 1.1)))
        shortcuts = [f"{s}.weight" for s in arch.layer_names("shortcut")]
        inside = ev.weights(bn_model, i, shortcuts, share_within(0.8, 1.5))
        add("A5a", "Figure 5", "Model 1's residual shortcut 1x1 conv weights spread over 0.8..1.5, near 1",
            ">= 90 % of the shortcut conv weights in [0.8, 1.5]", [fmt("share in [0.8, 1.5]", inside)],
            holds(inside, lambda v: v >= 0.9))
        sbn = [f"shortcut_bn{s}.weight" for s in range(1, len(arch.stages) + 1)]
        inside = ev.weights(bn_model, i, sbn, share_within(0.8, 1.5))
        add("A5b", "Figure 5", "(the same range read as the shortcut's BN gamma, which the figure may have shown)",
            ">= 90 % of the shortcut BN gammas in [0.8, 1.5]", [fmt("share in [0.8, 1.5]", inside)],
            holds(inside, lambda v: v >= 0.9))
    # Tables 6 and 7: fully connected layers
    verdict, values = normal_like(ev, m1, i, ["fc1.weight", "fc2.weight"])
    add("A6a", "Table (Model 1 fc)", f"{L1}'s fc1 and fc2 are ideal normal", "|skew| < 0.5 and |excess kurtosis| < 1",
        values, verdict)
    fc3 = ev.weights(m1, i, ["fc3.weight"], lambda w: w)
    inside = [share_within(-0.8, 0.4)(w) for w in fc3]
    med = [float(np.median(w)) for w in fc3]
    skew = ev.stat(m1, i, "fc3.weight", "skew")
    add("A6b", "Table (Model 1 fc)", f"{L1}'s fc3 lies in -0.8..0.4, centred near 0.2, skewed",
        ">= 95 % in [-0.8, 0.4], median in [0.1, 0.3], |skew| > 0.5",
        [fmt("share in [-0.8, 0.4]", inside), fmt("median", med), fmt("skew", skew)],
        combine(holds(inside, lambda v: v >= 0.95), holds(med, lambda v: 0.1 <= v <= 0.3),
                holds(skew, lambda v: abs(v) > 0.5)))
    nz1, nz2 = ev.stat(m1, i, "fc1.weight", "frac_near_zero"), ev.stat(m2, i, "fc1.weight", "frac_near_zero")
    kurt2 = ev.stat(m2, i, "fc1.weight", "kurtosis")
    add("A7a", "Table (Model 2 fc)", f"{L2}'s fc1 is piled up at 0",
        "share near zero larger than Model 1's, and excess kurtosis > 1",
        [fmt(f"{L2} near-zero share", nz2), fmt(f"{L1} near-zero share", nz1), fmt(f"{L2} excess kurtosis", kurt2)],
        combine(greater(nz2, nz1), holds(kurt2, lambda v: v > 1)), f"{RULE_GT}; kurtosis: {RULE_ALL}")
    d1, d2 = ev.measure(m1, i, "fc1", "dead_frac"), ev.measure(m2, i, "fc1", "dead_frac")
    add("A7b", "Table (Model 2 fc, explanation)", f"{L2}'s fc1 has dead units",
        "share of fc1 neurons never active on the test set, larger than Model 1's",
        [fmt(f"{L2} dead share", d2), fmt(f"{L1} dead share", d1)], greater(d2, d1), RULE_GT)
    st1, st2 = ev.measure(m1, i, "fc1", "static_frac"), ev.measure(m2, i, "fc1", "static_frac")
    add("A7e", "Table (Model 2 fc, explanation)", f"{L2}'s fc1 has units that did not learn",
        "share of fc1 neurons whose weights moved under 10 % of their initial norm, larger than Model 1's",
        [fmt(f"{L2} static share", st2), fmt(f"{L1} static share", st1)], greater(st2, st1), RULE_GT)
    inside = ev.weights(m2, i, ["fc2.weight"], share_within(-0.1, 0.1))
    s1, s2 = ev.stat(m1, i, "fc2.weight", "std"), ev.stat(m2, i, "fc2.weight", "std")
    add("A7c", "Table (Model 2 fc)", f"{L2}'s fc2 is narrow and tall, within -0.1..0.1",
        ">= 95 % in [-0.1, 0.1], and sd smaller than Model 1's",
        [fmt("share in [-0.1, 0.1]", inside), fmt(f"{L2} sd", s2), fmt(f"{L1} sd", s1)],
        combine(holds(inside, lambda v: v >= 0.95), greater(s1, s2)), f"{RULE_ALL}; sd: {RULE_GT}")
    g1, g2 = ev.grad(m1, i, "fc2.weight"), ev.grad(m2, i, "fc2.weight")
    add("A7f", "Table (Model 2 fc, explanation)", f"{L2}'s fc2 has a weak gradient flow",
        "gradient norm of fc2's weights (mean over steps and epochs) smaller than Model 1's",
        [fmt(f"{L2} gradient norm", g2), fmt(f"{L1} gradient norm", g1)], greater(g1, g2), RULE_GT)
    kurt = ev.stat(m2, i, "fc3.weight", "kurtosis")
    add("A7d", "Table (Model 2 fc)", f"{L2}'s fc3 has a few outlying weights",
        "excess kurtosis > 1 (heavier tails than a normal)", [fmt("excess kurtosis", kurt)],
        holds(kurt, lambda v: v > 1))
    u1, u2 = ev.measure(m1, i, "fc3", "unit_change_cv"), ev.measure(m2, i, "fc3", "unit_change_cv")
    add("A7g", "Table (Model 2 fc, explanation)", f"{L2}'s fc3 learned unevenly (\"unbalanced learning\")",
        "read as: the classes' weight rows moved unevenly from their initialisation, sd / mean over rows of "
        "||w - w0|| / ||w0||, more than Model 1's",
        [fmt(f"{L2} change cv", u2), fmt(f"{L1} change cv", u1)], greater(u2, u1), RULE_GT)
    acc1, acc2 = ev.accuracy(m1, i), ev.accuracy(m2, i)
    add("A8", "Experiment A", f"{L1} is more accurate than {L2} (report: 90 % vs 69 %)", "final test accuracy",
        [fmt(L1, acc1), fmt(L2, acc2)], greater(acc1, acc2), RULE_GT)
    return out


def experiment_b_claims(ev: Evidence, config: dict) -> list[Claim]:
    from .config import INIT_LABELS, architecture

    b = config["experiments"]["b"]
    m, inits = b["model"], b["inits"]
    out = []
    if "default" not in inits:
        return out
    others = [x for x in inits if x != "default"]

    def add(id_, source, claim, measured, values, verdict, rule=RULE_GT):
        out.append(Claim(id_, source, claim, measured, "; ".join(values), verdict, rule))

    base = ev.accuracy(m, "default")
    for k, init in enumerate(others, start=1):
        acc = ev.accuracy(m, init)
        add(f"B1{'abc'[k - 1] if k <= 3 else k}", "Experiment B table",
            f"{INIT_LABELS[init]} initialisation gives a higher test accuracy than the default",
            "final test accuracy", [fmt(init, acc), fmt("default", base)], greater(acc, base))
    loss_default = ev.accuracy(m, "default", "test_loss")
    parts, values = [], [fmt("default", loss_default)]
    for init in others:
        loss = ev.accuracy(m, init, "test_loss")
        parts.append(greater(loss_default, loss))
        values.append(fmt(init, loss))
    add("B2", "Experiment B table", "the default initialisation has the highest test loss", "final test loss", values,
        combine(*parts))
    if "he" in inits:
        sd_he, sd_def = ev.stat(m, "he", "conv1.weight", "std"), ev.stat(m, "default", "conv1.weight", "std")
        med_def = ev.stat(m, "default", "conv1.weight", "q50")
        skew_he = ev.stat(m, "he", "conv1.weight", "skew")
        add("B3", "Experiment B, conv1 figure", "with He, conv1 is wide and balanced instead of shifted to -0.1",
            "sd(He) > sd(default); |skew(He)| < 0.5; default's median < 0",
            [fmt("He sd", sd_he), fmt("default sd", sd_def), fmt("He skew", skew_he), fmt("default median", med_def)],
            combine(greater(sd_he, sd_def), holds(skew_he, lambda v: abs(v) < 0.5), holds(med_def, lambda v: v < 0)),
            f"sd: {RULE_GT}; others: {RULE_ALL}")
        arch = architecture(config, m)
        verdict, values = normal_like(ev, m, "he", [f"{c}.weight" for c in arch.layer_names("conv")])
        add("B4", "Experiment B, conv grid", "with He, every conv layer is a stable normal",
            "|skew| < 0.5 and |excess kurtosis| < 1 in every conv layer", values, verdict, RULE_ALL)
        verdict, values = normal_like(ev, m, "he", [f"{c}.weight" for c in arch.layer_names("fc")])
        add("B5", "Experiment B, fc grid", "with He, the fc layers are normal too",
            "|skew| < 0.5 and |excess kurtosis| < 1 in every fc layer", values, verdict, RULE_ALL)
        dead_he, dead_def = ev.measure_mean(m, "he", ["conv", "fc"], "dead_frac"), \
            ev.measure_mean(m, "default", ["conv", "fc"], "dead_frac")
        add("B6", "Experiment B (explanation)", "He leaves fewer dead ReLU units",
            "mean over layers of the share of units never active on the test set: He < default",
            [fmt("He", dead_he), fmt("default", dead_def)], greater(dead_def, dead_he))
        spread_he, spread_def = ev.grad_spread(m, "he"), ev.grad_spread(m, "default")
        add("B7", "Experiment B (explanation)", "He avoids vanishing or exploding gradients",
            "sd over layers of log10(gradient norm): a more even gradient flow under He than default",
            [fmt("He", spread_he), fmt("default", spread_def)], greater(spread_def, spread_he))
        cos_he, cos_def = ev.measure_mean(m, "he", ["conv"], "mean_abs_cos"), \
            ev.measure_mean(m, "default", ["conv"], "mean_abs_cos")
        add("B8", "Experiment B (explanation)",
            "He gives more diverse filters (feature detectors in different directions)",
            "mean over conv layers of the mean |cosine| between filters: He < default",
            [fmt("He", cos_he), fmt("default", cos_def)], greater(cos_def, cos_he))
        gap = ev.gap_by_epoch(m, "he", "default")
        if len(gap):
            final, biggest = float(gap.iloc[-1]), float(gap.max())
            verdict = INCONCLUSIVE
            if biggest > 0:
                verdict = (SUPPORTED if final < 0.5 * biggest else
                           CONTRADICTED if final >= 0.9 * biggest else INCONCLUSIVE)
            add("B9", "study.md (open question)", "the He-vs-default accuracy gap is a training-speed difference",
                "mean accuracy gap (He - default) per epoch: final gap below half the largest gap",
                ["gap by epoch: " + ", ".join(f"{int(e)}: {100 * v:+.1f}" for e, v in gap.items())], verdict,
                "supported if final < 0.5 x largest gap, contradicted if final >= 0.9 x largest")
    return out


def build_claims(config: dict, ev: Evidence) -> pd.DataFrame:
    claims = []
    if config["experiments"]["a"] is not None:
        claims += experiment_a_claims(ev, config)
    if config["experiments"]["b"] is not None:
        claims += experiment_b_claims(ev, config)
    return pd.DataFrame([c.__dict__ for c in claims], columns=list(Claim.__dataclass_fields__))
