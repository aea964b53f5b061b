"""The study as one self-contained HTML document (results/report.html), regenerated from the pipeline's outputs.

`write_report(config, inputs, out)` reads the pipeline's tables, figures and run records and writes one HTML file that
needs nothing else to be read offline: figures are embedded as base64 data URIs, the style sheet is inline, there is
no script and no external font. The layout follows the original report (../shared/study.md):

    #setup          models (architecture, parameter count), recipes, seeds, data, versions, hardware, wall time,
                    diverged runs
    #experiment-a   layer by layer: conv1, conv2, the later conv (experiments.a.later_conv), BatchNorm gamma, residual
                    shortcut, fc1..fc3 (then the remaining conv layers and the accuracy); each with its figure, its
                    numbers, sentences computed from them, and the verdicts of the claims about it (A1a..A8)
    #experiment-b   accuracy and loss (mean +- sd over seeds) beside the report's numbers, accuracy per epoch (the
                    budget at which the table is taken), the initialisation figures, claims B1..B9
    #explanations   every claim with its verdict, the measure figures, group distances against seed noise, and the
                    correlations with accuracy whose 95 % interval excludes zero

Every sentence about a distribution is built from the numbers by the functions below (`describe_layer`,
`compare_layer`, `distance_sentence`, `claim_sentence`, `accuracy_sentences`, ...), with the thresholds named here:
nothing is prewritten. Means are over completed runs; diverged runs are listed as such and never averaged in. A
section whose inputs are missing (an experiment switched off in the config, a table not produced) is left out, and the
table of contents says so.

`inputs` (the rule html_report's named inputs; any may be missing):
    runs, layer_stats, history          results/stats/*.tsv
    group_comparison, accuracy_correlation, claims
    tables                              list of results/tables/{accuracy,expA_layers,expB_layers}.tsv
    data                                results/data/cifar10.json
    metrics                             list of results/runs/*/*/seed*/metrics.json (versions)
    figures                             list of results/figures/**/*.png (or .svg): the files `embedded_figures` names
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from .claims import CONTRADICTED, INCONCLUSIVE, SUPPORTED, greater
from .config import INIT_LABELS, MODEL_LABELS, architecture
from .fileio import write_text
from .layers import layer_sort_key
from .reference import EXPERIMENT_A
from .render import experiment_a_stems, experiment_b_stems, measure_stems, study_figure_stems

# Thresholds of the words the sentences use (the same as the claims' where the claims use one).
CENTRED = 0.1          # |mean| under this many sds: "centred at zero"
SYMMETRIC = 0.5        # |skew| under this: "roughly symmetric"
NORMAL_TAILS = 1.0     # |excess kurtosis| under this: "tails close to a normal's"
NEAR_ZERO_RATIO = 1.25  # share near zero over (under 1/this) times a normal's: "more (fewer) ... than a normal"
TOP_CORRELATIONS = 15  # correlations shown (strongest first) among those whose interval excludes zero
MAX_EPOCH_COLUMNS = 8  # epochs shown in the accuracy-per-epoch table

SECTIONS = {"setup": "Setup", "experiment-a": "Experiment A: architecture",
            "experiment-b": "Experiment B: initialisation", "explanations": "Measured explanations"}
VERDICT_WORDS = {SUPPORTED: "supported", CONTRADICTED: "contradicted", INCONCLUSIVE: "inconclusive"}
MIME = {".png": "image/png", ".svg": "image/svg+xml"}

MEASURE_CAPTIONS = {
    "quantiles": "Quantiles of each layer's weights over training (5-95 % and 25-75 % bands, median), per "
                 "initialisation.",
    "dead_units": "Share of ReLU units never active on the test set, per layer at the end of training (dots: seeds).",
    "gradient_norms": "Gradient norm of each layer's weights over training (mean over each epoch's steps).",
    "weight_change": "Relative distance of each layer's final weights from their initial values, BN folded in "
                     "(near 0: the layer barely learned).",
    "filter_diversity": "Mean |cosine| between a layer's filters (lower: more diverse filters).",
    "spectral_alpha": "Power-law exponent of each layer's eigenvalue spectrum (hollow: under 50 eigenvalues).",
    "accuracy_correlation": "Spearman correlation of each per-layer measure with final test accuracy, with 95 % "
                            "bootstrap intervals.",
    "group_distances": "KS and Wasserstein-1 distances between groups next to the distances between seeds of one "
                       "group.",
}


# ---------------------------------------------------------------------------------------------------------------------
# Which files the report embeds


def report_settings(config: dict) -> dict:
    """The parts of the config the report reads, and no more (the rule's params: a change to them, and only to them,
    rebuilds the report; a plotting option reaches it through the figures it embeds)."""
    out = {k: config[k] for k in ("grid", "models", "experiments", "analysis")}
    out["data"] = {"source": config["data"]["source"]}
    out["plots"] = {"formats": config["plots"]["formats"]}
    return out


def figure_format(config: dict) -> str | None:
    """The format the report embeds: PNG, else SVG; None when only PDF is rendered (figures are then left out)."""
    formats = config["plots"]["formats"]
    return next((f for f in ("png", "svg") if f in formats), None)


def embedded_figures(config: dict, root: str = "results/figures") -> list[str]:
    """The figure files the report embeds: every figure of the study, in the format `figure_format` picks."""
    fmt = figure_format(config)
    return [f"{root}/{s}.{fmt}" for s in study_figure_stems(config)] if fmt else []


def section_ids(config: dict) -> list[str]:
    """The ids of every section and subsection the report has for this config (what the browser test looks for)."""
    ids = ["setup", "setup-models", "setup-data", "setup-software", "setup-runs", "diverged"]
    a, b = config["experiments"]["a"], config["experiments"]["b"]
    if a is not None:
        ids += ["experiment-a"] + [f"a-{key}" for key, _, _ in experiment_a_layout(config)] + ["a-accuracy"]
    if b is not None:
        ids += ["experiment-b", "b-accuracy", "b-curves", "b-figures", "b-claims"]
    ids += ["explanations", "m-claims", "m-figures", "m-groups", "m-correlations"]
    return ids


def experiment_a_layout(config: dict) -> list[tuple[str, str, list[str]]]:
    """(subsection key, title, figure stems) in the original report's order: conv1, conv2, a later conv, BN gamma,
    shortcut, fc, then the conv layers the original did not show."""
    a = config["experiments"]["a"]
    stems = experiment_a_stems(config)
    convs = [s.split("/")[1] for s in stems if re.fullmatch(r"expA/conv\d+", s)]
    later = f"conv{a['later_conv']}"
    shown = [c for c in dict.fromkeys(["conv1", "conv2", later]) if c in convs]
    out = []
    for c in shown:
        role = {"conv1": "first conv layer", "conv2": "second conv layer"}.get(c, "a later conv layer")
        out.append((c, f"{c} ({role})", [f"expA/{c}"]))
    if "expA/bn_gamma" in stems:
        out.append(("bn-gamma", "BatchNorm gamma (Model 1)", ["expA/bn_gamma"]))
    if "expA/shortcut" in stems:
        out.append(("shortcut", "Residual shortcut (Model 1)", ["expA/shortcut"]))
    out.append(("fc", "Fully connected layers fc1..fc3", ["expA/fc"]))
    rest = [c for c in convs if c not in shown]
    if rest:
        out.append(("other-conv", "The other conv layers", [f"expA/{c}" for c in rest]))
    return out


# Which claims belong to which subsection of experiment A (claim ids "A1a", "A1b", ... start with these).
A_CLAIMS = {"conv1": ["A1"], "conv2": ["A2"], "later": ["A3"], "bn-gamma": ["A4"], "shortcut": ["A5"],
            "fc": ["A6", "A7"], "accuracy": ["A8"]}


def claims_for(claims: pd.DataFrame | None, prefixes: list[str]) -> pd.DataFrame:
    if claims is None or not len(claims):
        return pd.DataFrame(columns=["id", "source", "claim", "measured", "values", "verdict", "rule"])
    pattern = re.compile(r"^(%s)[a-z]?$" % "|".join(map(re.escape, prefixes)))
    return claims[claims.id.astype(str).str.match(pattern)]


# ---------------------------------------------------------------------------------------------------------------------
# Numbers to words


def finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def num(v, digits: int = 3) -> str:
    """A number to `digits` significant figures ("n/a" when missing)."""
    if not finite(v):
        return "n/a"
    v = float(v)
    return "0" if v == 0 else f"{v:.{digits}g}"


def pm(mean, sd, digits: int = 3) -> str:
    """mean +- sd (the sd left out when there is none, e.g. a single seed)."""
    return num(mean, digits) + (f" ± {num(sd, 2)}" if finite(sd) else "")


def pct(v, digits: int = 1) -> str:
    return f"{100 * float(v):.{digits}f} %" if finite(v) else "n/a"


def normal_near_zero(rel: float) -> float:
    """Share of a normal distribution within rel standard deviations of its (zero) mean."""
    return math.erf(rel / math.sqrt(2))


def centre_word(mean: float, std: float) -> str:
    if not (finite(mean) and finite(std)) or std <= 0:
        return "constant"
    rel = mean / std
    return "centred at zero" if abs(rel) < CENTRED else f"shifted {'right' if rel > 0 else 'left'} of zero"


def skew_word(skew: float) -> str:
    if not finite(skew):
        return "skew undefined"
    if abs(skew) < SYMMETRIC:
        return "roughly symmetric"
    return f"skewed (longer tail to the {'right' if skew > 0 else 'left'})"


def tails_word(kurtosis: float) -> str:
    if not finite(kurtosis):
        return "tails undefined"
    if abs(kurtosis) < NORMAL_TAILS:
        return "tails close to a normal's"
    return "peaked, heavier tails than a normal" if kurtosis > 0 else "flatter than a normal, light tails"


def near_zero_word(share: float, rel: float) -> str:
    if not finite(share):
        return "n/a"
    ratio = share / normal_near_zero(rel)
    if ratio > NEAR_ZERO_RATIO:
        return "more piled up at zero than a normal"
    if ratio < 1 / NEAR_ZERO_RATIO:
        return "fewer weights near zero than a normal"
    return "about as many near zero as a normal"


def seed_words(values: list, word, mean) -> str:
    """The word for the mean, or, where the seeds disagree, how many seeds each word fits."""
    words = [word(v) for v in values if finite(v)]
    counts = Counter(words)
    if len(counts) <= 1:
        return word(mean) if not words else words[0]
    return "mixed over seeds: " + ", ".join(f"{n} of {len(words)} {w}" for w, n in counts.most_common())


# ---------------------------------------------------------------------------------------------------------------------
# Sentences


def describe_layer(label: str, summary: pd.Series, seeds: pd.DataFrame | None, near_zero_rel: float) -> str:
    """One sentence on one group's final weights of one layer: centre, spread, skew, tails, share near zero, each
    as mean +- seed-to-seed sd from `summary` (a row of expA_layers.tsv / expB_layers.tsv) and worded from the
    per-seed values in `seeds` (rows of layer_stats.tsv; the summary's means where absent)."""
    n = int(summary.get("n_seeds", 0) or 0)
    g = {c: (summary.get(f"{c}_mean"), summary.get(f"{c}_sd")) for c in
         ("mean", "std", "skew", "kurtosis", "q05", "q95", "frac_near_zero")}
    if n == 0 or not finite(g["mean"][0]):
        return f"{label}: no completed run."
    per = (lambda c: list(seeds[c])) if seeds is not None and len(seeds) else (lambda c: [])
    mean, std = g["mean"][0], g["std"][0]
    centres = [m / s if s else float("nan") for m, s in zip(per("mean"), per("std"))]
    centre = seed_words(list(zip(per("mean"), per("std"))), lambda ms: centre_word(*ms), (mean, std)) \
        if centres else centre_word(mean, std)
    rel = mean / std if finite(std) and std > 0 else float("nan")
    rel = 0.0 if finite(rel) and round(rel, 2) == 0 else rel       # no "-0.00"
    parts = [
        f"centre {pm(*g['mean'])} ({'n/a' if not finite(rel) else f'{rel:+.2f}'} sd from zero: {centre})",
        f"spread (sd) {pm(*g['std'])}, middle 90 % of the weights in [{num(g['q05'][0])}, {num(g['q95'][0])}]",
        f"skew {pm(*g['skew'])} ({seed_words(per('skew'), skew_word, g['skew'][0])})",
        f"excess kurtosis {pm(*g['kurtosis'])} ({seed_words(per('kurtosis'), tails_word, g['kurtosis'][0])}; "
        f"a normal has 0, a uniform -1.2)",
        f"{pct(g['frac_near_zero'][0])} of the weights within {near_zero_rel:g} sd of zero, "
        f"{seed_words(per('frac_near_zero'), lambda v: near_zero_word(v, near_zero_rel), g['frac_near_zero'][0])} "
        f"(a normal has {pct(normal_near_zero(near_zero_rel))})",
    ]
    return f"{label} ({n} seed{'s' if n != 1 else ''}, ± = seed-to-seed sd): " + "; ".join(parts) + "."


COMPARED = [("std", "spread (sd)"), ("mean", "centre"), ("skew", "skew"), ("kurtosis", "excess kurtosis"),
            ("frac_near_zero", "share near zero")]


def compare_layer(label_a: str, seeds_a: pd.DataFrame, label_b: str, seeds_b: pd.DataFrame) -> str:
    """One sentence comparing two groups' per-seed statistics of one layer with the claims' rule: a difference only
    where every seed of one group lies beyond every seed of the other."""
    if len(seeds_a) < 2 or len(seeds_b) < 2:
        return (f"{label_b} vs {label_a}: fewer than 2 completed seeds in a group ({len(seeds_b)} and "
                f"{len(seeds_a)}), so no difference can be told from seed-to-seed variation.")
    larger, smaller, same = [], [], []
    for col, name in COMPARED:
        a, b = list(seeds_a[col]), list(seeds_b[col])
        verdict = greater(b, a)
        text = f"{name} {num(np.nanmean(b))} vs {num(np.nanmean(a))}"
        (larger if verdict == SUPPORTED else smaller if verdict == CONTRADICTED else same).append(text)
    out = []
    if larger:
        out.append(f"larger in every pair of seeds: {', '.join(larger)}")
    if smaller:
        out.append(f"smaller in every pair of seeds: {', '.join(smaller)}")
    if same:
        out.append(f"within the seed-to-seed variation (the seeds' ranges overlap): {', '.join(same)}")
    return f"{label_b} against {label_a}: " + "; ".join(out) + "."


def distance_sentence(rows: pd.DataFrame) -> str:
    """Whole-distribution distances of one layer between two groups (group_comparison.tsv rows, raw and
    BN-folded variants) against the distances between seeds of one group."""
    out = []
    raw = rows[rows.variant == "raw"]
    for _, r in rows.iterrows():
        if r.variant != "raw" and len(raw) and np.isclose(r.ks_between, raw.iloc[0].ks_between) and \
                np.isclose(r.w1_between, raw.iloc[0].w1_between) and np.isclose(r.w1_within, raw.iloc[0].w1_within):
            out.append("Folding BatchNorm in changes nothing here (no BatchNorm acts on this layer).")
            continue
        variant = "the raw weights" if r.variant == "raw" else "the weights with BatchNorm folded in"
        if min(r.n_a, r.n_b) < 2:
            out.append(f"For {variant} there are fewer than 2 seeds per group, so the distance rule cannot decide.")
            continue
        verdict = ("every cross-group pair of seeds is farther apart than every same-group pair by both distances: "
                   "the distributions differ beyond seed noise") if bool(r.differs) else \
            "the cross-group distances do not all exceed the same-group ones: no difference beyond seed noise"
        out.append(f"For {variant}, the KS distance between groups is {num(r.ks_between)} against {num(r.ks_within)} "
                   f"between seeds of one group (ratio {num(r.ks_ratio)}), Wasserstein-1 {num(r.w1_between)} against "
                   f"{num(r.w1_within)}; {verdict}.")
    return " ".join(out)


def claim_sentence(row: pd.Series) -> str:
    """The verdict of one claim of the original report, said plainly."""
    claim, verdict = str(row.claim), str(row.verdict)
    values = str(row["values"]) if finite_text(row["values"]) else "no values"
    if verdict == SUPPORTED:
        return (f"{row.id}: supported. The original's claim \u201c{claim}\u201d holds by the measure "
                f"({row.measured}; {row.rule}): {values}.")
    if verdict == CONTRADICTED:
        return (f"{row.id}: contradicted. The original report says \u201c{claim}\u201d, but the measurements say "
                f"otherwise by the criterion {row.measured} ({row.rule}). Measured: {values}.")
    few = "n=1)" in values or "n/a" in values
    why = "fewer than two seeds (or no value) to decide on" if few else "the seeds do not agree"
    return (f"{row.id}: inconclusive. The original report says \u201c{claim}\u201d; {why} "
            f"({row.measured}; {row.rule}). Measured: {values}.")


def finite_text(v) -> bool:
    return isinstance(v, str) and v.strip() != ""


def verdict_counts(claims: pd.DataFrame) -> str:
    if not len(claims):
        return "No claim of the original is measured here."
    c = Counter(claims.verdict)
    n = len(claims)
    parts = [f"{c.get(v, 0)} {w}" for v, w in VERDICT_WORDS.items()]
    return f"Of the {n} claim{'s' if n != 1 else ''} measured here: " + ", ".join(parts) + "."


def accuracy_sentences(table: pd.DataFrame, model_label) -> list[str]:
    """Per group: accuracy and loss (mean +- sd over completed runs) beside the report's, and the ranking of the
    groups by mean accuracy against the report's ranking."""
    out = []
    for _, r in table.iterrows():
        label = model_label(r)
        done = int(r.runs) - int(r.diverged)
        s = (f"{label}: test accuracy {pm(r.test_acc_mean, r.test_acc_sd, 4)} %, test loss "
             f"{pm(r.test_loss_mean, r.test_loss_sd, 3)}, over {done} completed of {int(r.runs)} runs")
        s += f" ({int(r.diverged)} diverged, not averaged in)" if int(r.diverged) else ""
        if finite(r.report_test_acc) and finite(r.test_acc_mean):
            diff = r.test_acc_mean - r.report_test_acc
            s += (f"; the report gives {float(r.report_test_acc):.2f} %, {abs(diff):.1f} points "
                  f"{'above' if diff < 0 else 'below'} ours" if abs(diff) >= 0.05 else
                  f"; the report gives {float(r.report_test_acc):.2f} %, the same")
        if finite(r.get("report_test_loss")):
            s += f" (report loss {float(r.report_test_loss):.4f})"
        out.append(s + ".")
    ours = table[table.test_acc_mean.map(finite)].sort_values("test_acc_mean", ascending=False)
    theirs = table[table.report_test_acc.map(finite)].sort_values("report_test_acc", ascending=False)
    if len(ours) > 1:
        order = " > ".join(model_label(r) for _, r in ours.iterrows())
        s = f"Ranked by mean test accuracy: {order}."
        if len(theirs) == len(table) and len(ours) == len(table):
            same = list(ours.index) == list(theirs.index)
            s += (" The original report ranks them the same way." if same else
                  " The original report ranks them differently: "
                  + " > ".join(model_label(r) for _, r in theirs.iterrows()) + ".")
        out.append(s)
    return out


def epoch_table(history: pd.DataFrame, groups: list[tuple[str, str]]) -> pd.DataFrame:
    """Test accuracy (%) per epoch, mean over completed runs, one row per (model, init); at most
    MAX_EPOCH_COLUMNS epochs (evenly spaced, always the first and the last)."""
    h = history[history.status == "completed"] if "status" in history else history
    rows = {}
    for m, i in groups:
        g = h[(h.model == m) & (h.init == i)]
        if len(g):
            rows[(m, i)] = g.groupby("epoch").test_acc.mean() * 100
    if not rows:
        return pd.DataFrame()
    t = pd.DataFrame(rows).T.sort_index(axis=1)
    epochs = list(t.columns)
    if len(epochs) > MAX_EPOCH_COLUMNS:
        picks = sorted({epochs[round(k * (len(epochs) - 1) / (MAX_EPOCH_COLUMNS - 1))]
                        for k in range(MAX_EPOCH_COLUMNS)})
        t = t[picks]
    return t


def gap_sentence(history: pd.DataFrame, model: str, inits: list[str], label: str = "") -> str:
    """How the spread of mean test accuracy across initialisations develops over the epochs (one model)."""
    h = history[(history.model == model) & history.init.isin(inits)]
    if "status" in h:
        h = h[h.status == "completed"]
    acc = h.groupby(["epoch", "init"]).test_acc.mean().unstack() * 100
    acc = acc[acc.notna().sum(axis=1) >= 2]
    acc = acc[acc.index > 0]
    if not len(acc):
        return ""
    gap = acc.max(axis=1) - acc.min(axis=1)
    first, last, peak_epoch = acc.index[0], acc.index[-1], gap.idxmax()
    best_last = acc.loc[last].idxmax()
    worst_last = acc.loc[last].idxmin()
    return (f"{label or model}: between the best and the worst initialisation the mean test accuracy differs by "
            f"{gap[first]:.1f} points "
            f"after epoch {first}, by {gap[peak_epoch]:.1f} points at most (epoch {peak_epoch}) and by "
            f"{gap[last]:.1f} points after the last epoch {last} ({INIT_LABELS.get(best_last, best_last)} best, "
            f"{INIT_LABELS.get(worst_last, worst_last)} worst): "
            + ("the gap is still widest at the end of training." if peak_epoch == last else
               "the gap at the end is " + ("less than half" if gap[last] < 0.5 * gap[peak_epoch] else "smaller than")
               + " its widest."))


# ---------------------------------------------------------------------------------------------------------------------
# HTML pieces

STYLE = """
body{font-family:Georgia,'Times New Roman',serif;max-width:1100px;margin:0 auto;padding:1em 2em;color:#222;
line-height:1.45;background:#fff}
h1{font-size:1.7em;border-bottom:2px solid #444}h2{margin-top:2em;border-bottom:1px solid #aaa}
h3{margin-top:1.6em}nav{background:#f4f4f4;padding:.5em 1em;border:1px solid #ddd}nav li{margin:.1em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:.86em;font-family:'DejaVu Sans',Arial,sans-serif}
th,td{border:1px solid #ccc;padding:.2em .45em;text-align:left;vertical-align:top}th{background:#eee}
td.n{text-align:right}.scroll{overflow-x:auto;max-width:100%}figure{margin:1em 0}
figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.85em;color:#555}.v{font-weight:bold;padding:0 .3em;border-radius:3px;white-space:nowrap}
.supported{background:#d7f0d7;color:#145214}.contradicted{background:#f6d2d2;color:#7a1010}
.inconclusive{background:#f8eac4;color:#6b4d00}.note{color:#555;font-size:.9em}.claims p{margin:.35em 0}
.diverged{color:#7a1010;font-weight:bold}p.text{max-width:62em}
"""


def para(text: str) -> str:
    return f"<p class='text'>{esc(text)}</p>"


def esc(v) -> str:
    return html.escape("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))


def table_html(header: list[str], rows: list[list], numeric: set[int] = frozenset(), raw: set[int] = frozenset()) \
        -> str:
    """An HTML table; cells are escaped except the columns in `raw` (already HTML)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for r in rows:
        cells = []
        for k, v in enumerate(r):
            cls = ' class="n"' if k in numeric else ""
            cells.append(f"<td{cls}>{v if k in raw else esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def verdict_badge(verdict: str) -> str:
    cls = verdict if verdict in VERDICT_WORDS else "inconclusive"
    return f'<span class="v {cls}">{esc(verdict)}</span>'


def claims_block(claims: pd.DataFrame, full: bool = False) -> str:
    """The claims' rows: the whole table (`full`), or one sentence per claim that says the verdict plainly and
    carries every column of the row (claim, criterion, values, rule)."""
    if not len(claims):
        return ""
    if full:
        cols = ["id", "source", "claim", "measured", "values", "verdict", "rule"]
        vi = cols.index("verdict")
        rows = [[verdict_badge(r.verdict) if k == vi else r[c] for k, c in enumerate(cols)]
                for _, r in claims.iterrows()]
        return table_html(cols, rows, raw={vi})
    return '<div class="claims">' + "".join(
        f'<p class="text" id="claim-{esc(r.id)}">{verdict_badge(r.verdict)} {esc(claim_sentence(r))}</p>'
        for _, r in claims.iterrows()) + "</div>"


class Figures:
    """The embedded figure files by stem ("expA/conv1"), read as data URIs."""

    def __init__(self, paths: list[str], root: str = "results/figures"):
        self.paths = {}
        for p in paths:
            p = Path(p)
            parts = p.with_suffix("").parts
            stem = "/".join(parts[parts.index("figures") + 1:]) if "figures" in parts else p.stem
            self.paths[stem] = p

    def html(self, stem: str, caption: str) -> str:
        p = self.paths.get(stem)
        if p is None or not p.is_file():
            return f'<p class="note">Figure {esc(stem)} is not available in PNG or SVG (see plots.formats).</p>'
        data = base64.b64encode(p.read_bytes()).decode("ascii")
        return (f'<figure id="fig-{esc(stem.replace("/", "-"))}"><img src="data:{MIME.get(p.suffix, "image/png")};'
                f'base64,{data}" alt="{esc(caption)}"><figcaption>{esc(caption)} '
                f'<span class="note">({esc(p.as_posix())})</span></figcaption></figure>')


def stats_table(summary: pd.DataFrame, label) -> str:
    """Rows of expA_layers.tsv / expB_layers.tsv: mean +- seed-to-seed sd of each statistic."""
    cols = [("mean", "centre (mean)"), ("std", "spread (sd)"), ("q05", "5 %"), ("q95", "95 %"), ("skew", "skew"),
            ("kurtosis", "excess kurtosis"), ("frac_near_zero", "share near zero")]
    rows = [[label(r), r.param, int(r.n_seeds)] + [pm(r[f"{c}_mean"], r[f"{c}_sd"]) for c, _ in cols]
            for _, r in summary.iterrows()]
    return table_html(["group", "parameter", "seeds"] + [h for _, h in cols], rows, numeric=set(range(2, 10)))


# ---------------------------------------------------------------------------------------------------------------------
# Reading the inputs


def _read_tsv(path) -> pd.DataFrame | None:
    if not path or not Path(path).is_file():
        return None
    try:
        return pd.read_csv(path, sep="\t")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _read_json(path) -> dict | None:
    if not path or not Path(path).is_file():
        return None
    return json.loads(Path(path).read_text())


def _as_list(v) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, (str, Path)) else [str(x) for x in v]


class Inputs:
    """The pipeline's outputs the report reads; a missing file is None."""

    def __init__(self, inputs: dict):
        self.runs = _read_tsv(inputs.get("runs"))
        self.layer_stats = _read_tsv(inputs.get("layer_stats"))
        self.history = _read_tsv(inputs.get("history"))
        self.group_comparison = _read_tsv(inputs.get("group_comparison"))
        self.correlation = _read_tsv(inputs.get("accuracy_correlation"))
        self.claims = _read_tsv(inputs.get("claims"))
        tables = {Path(p).stem: p for p in _as_list(inputs.get("tables"))}
        self.accuracy = _read_tsv(tables.get("accuracy"))
        self.expA = _read_tsv(tables.get("expA_layers"))
        self.expB = _read_tsv(tables.get("expB_layers"))
        self.data = _read_json(inputs.get("data"))
        self.metrics = [m for m in (_read_json(p) for p in _as_list(inputs.get("metrics"))) if m]
        self.figures = Figures(_as_list(inputs.get("figures")))
        self.final = self._final_stats()

    def _final_stats(self) -> pd.DataFrame | None:
        """layer_stats rows of the final snapshot of every completed run (what the figures and tables show)."""
        if self.layer_stats is None or self.runs is None:
            return None
        done = self.runs[self.runs.status == "completed"][["model", "init", "seed", "final_epoch"]]
        s = self.layer_stats.merge(done, on=["model", "init", "seed"])
        return s[s.epoch == s.final_epoch]

    def seeds(self, model: str, init: str, param: str) -> pd.DataFrame:
        if self.final is None:
            return pd.DataFrame()
        f = self.final
        return f[(f.model == model) & (f.init == init) & (f.param == param)].sort_values("seed")


# ---------------------------------------------------------------------------------------------------------------------
# Sections


def model_label(m: str) -> str:
    return MODEL_LABELS.get(m, m)


def init_label(i: str) -> str:
    return INIT_LABELS.get(i, i)


def section(id_: str, title: str, body: str, level: int = 2) -> str:
    return f'<section id="{id_}"><h{level}>{esc(title)}</h{level}>{body}</section>'


def setup_section(config: dict, inp: Inputs) -> str:
    grid = config["grid"]
    runs = inp.runs if inp.runs is not None else pd.DataFrame(columns=["model", "status", "n_parameters"])
    # models
    rows = []
    for m in grid["models"]:
        arch = architecture(config, m)
        n = sorted({int(v) for v in runs[runs.model == m].n_parameters.dropna()}) if len(runs) else []
        params = ", ".join(f"{v:,}" for v in n) if n else "n/a"
        rows.append([model_label(m), m, " | ".join("-".join(map(str, s)) for s in arch.stages),
                     " - ".join(map(str, (*arch.fc_hidden, arch.num_classes))),
                     "yes" if arch.batchnorm else "no", "yes" if arch.shortcuts else "no", params])
    models = table_html(["model", "name", "conv widths per stage (2x2 max-pool after each)", "fc1 - fc2 - fc3 outputs",
                         "BatchNorm", "1x1 shortcuts", "parameters"], rows, numeric={6})
    recipe_rows = []
    for m in grid["models"]:
        r = config["models"][m]["recipe"]
        recipe_rows.append([model_label(m), "; ".join(f"{k}={json.dumps(v)}" for k, v in r.items())])
    recipes = table_html(["model", "recipe (config models.<model>.recipe)"], recipe_rows)
    n_runs = len(grid["models"]) * len(grid["inits"]) * len(grid["seeds"])
    grid_text = para(f"Grid: {len(grid['models'])} models × {len(grid['inits'])} initialisations "
                     f"({', '.join(init_label(i) for i in grid['inits'])}) × {len(grid['seeds'])} seeds "
                     f"({', '.join(map(str, grid['seeds']))}) = {n_runs} training runs.")
    a, b = config["experiments"]["a"], config["experiments"]["b"]
    exp = []
    if a is not None:
        exp.append(f"Experiment A compares {esc(' and '.join(model_label(m) for m in a['models']))} under "
                   f"{esc(init_label(a['init']))} initialisation; its later conv layer is conv{a['later_conv']}.")
    if b is not None:
        exp.append(f"Experiment B trains {esc(model_label(b['model']))} under "
                   f"{esc(', '.join(init_label(i) for i in b['inits']))}.")
    body = section("setup-models", "Models, recipes and seeds",
                   models + recipes + grid_text + (f"<p class='text'>{' '.join(exp)}</p>" if exp else ""), 3)
    # data
    d = inp.data
    if d is not None:
        pc = d.get("per_class", {})
        drows = [["source (config data.source)", config["data"]["source"]], ["archive", d.get("archive", "")],
                 ["archive md5", d.get("md5", "")],
                 ["training images", f"{d.get('train', 'n/a')} ({_per_class(pc.get('train'))})"],
                 ["test images", f"{d.get('test', 'n/a')} ({_per_class(pc.get('test'))})"]]
        if d.get("mean") is not None:
            drows.append(["channel mean / sd", f"{d.get('mean')} / {d.get('std')}"])
        data = table_html(["item", "value"], drows)
        if config["data"]["source"] == "synthetic":
            data += ("<p class='note'>Synthetic data: random images in the CIFAR-10 layout, for testing the pipeline. "
                     "No number below says anything about CIFAR-10.</p>")
    else:
        data = "<p class='note'>The data summary (results/data/cifar10.json) is missing.</p>"
    body += section("setup-data", "Data", data, 3)
    # software and hardware
    versions: dict[str, Counter] = {}
    for m in inp.metrics:
        for k, v in m.items():
            if k.endswith("_version"):
                versions.setdefault(k[: -len("_version")], Counter())[str(v)] += 1
    vrows = [[k, ", ".join(f"{v} ({n} runs)" if len(c) > 1 else v for v, n in c.most_common())]
             for k, c in sorted(versions.items())]
    hw = []
    for col in ("device", "precision"):
        if col in runs and len(runs):
            c = Counter(runs[col].fillna("n/a").astype(str))
            hw.append([col, ", ".join(f"{v} ({n} runs)" for v, n in c.most_common())])
    sw = table_html(["software", "version"], vrows) if vrows else "<p class='note'>No run records versions.</p>"
    sw += table_html(["hardware", "runs"], hw) if hw else ""
    body += section("setup-software", "Software and hardware", sw, 3)
    # runs and wall time
    if len(runs) and "wall_time_s" in runs:
        w = runs.wall_time_s
        g = runs.groupby(["model", "init"], sort=False)
        wrows = [[model_label(m), init_label(i), len(t), int((t.status == "completed").sum()),
                  int((t.status == "diverged").sum()), f"{t.wall_time_s.sum():.1f}", f"{t.wall_time_s.mean():.1f}"]
                 for (m, i), t in g]
        timing = (f"<p class='text'>{len(runs)} training jobs took {w.sum():.1f} s of wall time in all "
                  f"({w.sum() / 3600:.2f} h): {w.mean():.1f} s per job on average, from {w.min():.1f} s to "
                  f"{w.max():.1f} s.</p>")
        timing += table_html(["model", "initialisation", "runs", "completed", "diverged", "wall time (s)",
                              "per job (s)"], wrows, numeric={2, 3, 4, 5, 6})
    else:
        timing = "<p class='note'>The run table (results/stats/runs.tsv) is missing.</p>"
    body += section("setup-runs", "Runs and wall time", timing, 3)
    body += section("diverged", "Diverged runs", diverged_block(runs), 3)
    return section("setup", SECTIONS["setup"], body)


def _per_class(counts) -> str:
    if not counts:
        return "per class n/a"
    lo, hi = min(counts), max(counts)
    return f"{lo} per class" if lo == hi else f"{lo}..{hi} per class"


def diverged_block(runs: pd.DataFrame) -> str:
    if not len(runs):
        return "<p class='note'>No run table.</p>"
    bad = runs[runs.status != "completed"]
    if not len(bad):
        return f"<p class='text'>No run diverged: all {len(runs)} runs completed.</p>"
    rows = [[model_label(r.model), init_label(r.init), int(r.seed), r.status,
             "" if not finite(r.get("diverged_epoch")) else int(r.diverged_epoch)] for _, r in bad.iterrows()]
    return (f"<p class='text diverged'>{len(bad)} of {len(runs)} runs did not complete. They are listed here and "
            "left out of every mean, figure and verdict (the accuracy curves draw them dashed).</p>"
            + table_html(["model", "initialisation", "seed", "status", "diverged at epoch"], rows))


def experiment_a_section(config: dict, inp: Inputs) -> str:
    a = config["experiments"]["a"]
    m1, m2 = a["models"]
    init = a["init"]
    rel = config["analysis"]["near_zero_rel"]
    later = f"conv{a['later_conv']}"
    summary = inp.expA
    comp = inp.group_comparison
    intro = (f"<p class='text'>{esc(model_label(m1))} against {esc(model_label(m2))}, both "
             f"{esc(init_label(init))} initialisation. Each figure draws every completed seed as its own outline; "
             "the sentences below each figure are computed from results/tables/expA_layers.tsv (mean ± seed-to-seed "
             "sd) and the per-seed rows of results/stats/layer_stats.tsv; a difference between the models is called "
             "one only where every seed of one model lies beyond every seed of the other.</p>")
    if summary is None:
        return section("experiment-a", SECTIONS["experiment-a"],
                       intro + "<p class='note'>results/tables/expA_layers.tsv is missing.</p>")
    body = intro

    def rows_of(params: list[str], models: list[str]) -> pd.DataFrame:
        s = summary[summary.param.isin(params) & summary.model.isin(models) & (summary.init == init)].copy()
        s["_k"] = s.param.map(lambda p: layer_sort_key(p.rsplit(".", 1)[0]))
        return s.sort_values(["_k", "model"], key=lambda c: c if c.name == "_k" else c.map(models.index))

    def label(r) -> str:
        return f"{'Model 1' if r.model == m1 else 'Model 2'} ({r.model})"

    def layer_text(param: str, models: list[str]) -> str:
        ps = []
        for m in models:
            s = summary[(summary.model == m) & (summary.init == init) & (summary.param == param)]
            if len(s):
                ps.append(describe_layer(f"{'Model 1' if m == m1 else 'Model 2'} {param}", s.iloc[0],
                                         inp.seeds(m, init, param), rel))
        if len(models) == 2:
            sa, sb = inp.seeds(m1, init, param), inp.seeds(m2, init, param)
            if len(sa) and len(sb):
                ps.append(compare_layer("Model 1", sa, "Model 2", sb))
            if comp is not None and len(comp):
                rows = comp[(comp.group_a == f"{m1}/{init}") & (comp.group_b == f"{m2}/{init}") & (comp.param == param)]
                if len(rows):
                    ps.append(distance_sentence(rows))
        return "".join(f"<p class='text'>{esc(p)}</p>" for p in ps)

    for key, title, stems in experiment_a_layout(config):
        who = "Model 1" if key in ("bn-gamma", "shortcut") else "Model 1 vs Model 2"
        figs = "".join(inp.figures.html(s, f"Experiment A, {s.split('/')[1]}: final weights, {who}") for s in stems)
        text = ""
        if key.startswith("conv") or key == "other-conv":
            layers = [key] if key.startswith("conv") else [s.split("/")[1] for s in stems]
            params = [f"{c}.weight" for c in layers]
            text = stats_table(rows_of(params, [m1, m2]), label)
            for p in params:
                text += layer_text(p, [m1, m2])
            claim_key = {"conv1": "conv1", "conv2": "conv2", later: "later"}.get(key)
        elif key == "bn-gamma":
            res = architecture(config, "resvgg")
            params = [f"{b}.weight" for b in res.layer_names("bn")] + \
                [f"shortcut_bn{s}.weight" for s in range(1, len(res.stages) + 1)]
            s = rows_of(params, ["resvgg"])
            text = stats_table(s, label) + para(gamma_sentence(s[~s.param.str.startswith("shortcut")]))
            claim_key = "bn-gamma"
        elif key == "shortcut":
            res = architecture(config, "resvgg")
            params = [f"{c}.weight" for c in res.layer_names("shortcut")]
            s = rows_of(params + [f"shortcut_bn{k}.weight" for k in range(1, len(res.stages) + 1)], ["resvgg"])
            text = stats_table(s, label)
            for p in params:
                text += layer_text(p, ["resvgg"])
            text += para(gamma_sentence(s[s.param.str.startswith("shortcut_bn")], "shortcut BN"))
            claim_key = "shortcut"
        else:   # fc
            params = [f"{c}.weight" for c in architecture(config, m1).layer_names("fc")]
            text = stats_table(rows_of(params, [m1, m2]), label)
            for p in params:
                text += layer_text(p, [m1, m2])
            claim_key = "fc"
        claims = claims_for(inp.claims, A_CLAIMS[claim_key]) if claim_key else claims_for(None, [])
        verdicts = (f"<h4>The original's claims about this layer</h4><p class='text'>{esc(verdict_counts(claims))}"
                    f"</p>{claims_block(claims)}") if len(claims) else ""
        body += section(f"a-{key}", title, figs + text + verdicts, 3)
    # accuracy
    acc = inp.accuracy
    text = ""
    if acc is not None and len(acc):
        # the original's experiment A numbers (90 % and 69 %, no loss), not experiment B's for the same group
        t = acc[acc.model.isin([m1, m2]) & (acc.init == init)].assign(
            report_test_acc=lambda f: [EXPERIMENT_A.get(m) if init == "default" else None for m in f.model],
            report_test_loss=None)
        text = accuracy_table_html(t)
        text += "".join(f"<p class='text'>{esc(s)}</p>" for s in accuracy_sentences(
            t, lambda r: f"{'Model 1' if r.model == m1 else 'Model 2'} ({r.model})"))
    claims = claims_for(inp.claims, A_CLAIMS["accuracy"])
    text += claims_block(claims)
    body += section("a-accuracy", "Accuracy of the two models", text or "<p class='note'>No accuracy table.</p>", 3)
    return section("experiment-a", SECTIONS["experiment-a"], body)


def gamma_sentence(s: pd.DataFrame, what: str = "main-path BN") -> str:
    """BatchNorm gammas against their initial 1.0: range of the per-layer means, pooled 5-95 % span."""
    s = s[s.mean_mean.map(finite)]
    if not len(s):
        return f"No {what} layer has a completed run."
    lo, hi = s.loc[s.mean_mean.idxmin()], s.loc[s.mean_mean.idxmax()]
    dev = (s.mean_mean - 1).abs().max()
    return (f"Over the {len(s)} {what} layers the mean gamma per layer runs from {num(lo.mean_mean)} ({lo.param}) to "
            f"{num(hi.mean_mean)} ({hi.param}), at most {num(dev)} from the initial 1.0; the layers' middle 90 % "
            f"together span [{num(s.q05_mean.min())}, {num(s.q95_mean.max())}]; the spread (sd) within a layer is "
            f"{num(s.std_mean.min())} to {num(s.std_mean.max())}.")


def accuracy_table_html(t: pd.DataFrame) -> str:
    """Rows of accuracy.tsv (report_test_acc and report_test_loss: the original's numbers, blank where it has none)."""
    rows = []
    for _, r in t.iterrows():
        acc, loss = r.report_test_acc, r.report_test_loss
        rows.append([model_label(r.model), init_label(r.init), f"{int(r.runs)} ({int(r.diverged)})", int(r.epochs),
                     pm(r.test_acc_mean, r.test_acc_sd, 4), pm(r.test_loss_mean, r.test_loss_sd, 4),
                     f"{float(acc):.2f}" if finite(acc) else "", f"{float(loss):.4f}" if finite(loss) else ""])
    return table_html(["model", "initialisation", "runs (diverged)", "epochs", "test accuracy (%)", "test loss",
                       "report: accuracy (%)", "report: loss"], rows, numeric={2, 3, 4, 5, 6, 7})


def experiment_b_section(config: dict, inp: Inputs) -> str:
    b = config["experiments"]["b"]
    model, inits = b["model"], b["inits"]
    rel = config["analysis"]["near_zero_rel"]
    body = (f"<p class='text'>{esc(model_label(model))}: the same architecture and recipe, only the initialisation "
            f"changes ({esc(', '.join(init_label(i) for i in inits))}; {len(config['grid']['seeds'])} seeds each; the "
            "report used 5 runs per method).</p>")
    acc = inp.accuracy
    epochs = None
    if acc is not None and len(acc):
        t = acc[(acc.model == model) & acc.init.isin(inits)].copy()
        t = t.sort_values("init", key=lambda c: c.map(inits.index))
        epochs = sorted({int(e) for e in t.epochs})
        text = (f"<p class='text'>Taken after the last epoch of each run: "
                f"{esc(', '.join(map(str, epochs)))} epoch{'s' if epochs != [1] else ''} (config models.{model}.recipe"
                ".epochs); mean ± sd over completed runs. See the curves below for how the table would read at "
                "another budget.</p>")
        text += accuracy_table_html(t)
        text += "".join(f"<p class='text'>{esc(s)}</p>" for s in
                        accuracy_sentences(t, lambda r: init_label(r.init)))
        others = acc[~((acc.model == model) & acc.init.isin(inits))]
        if len(others):
            text += ("<p class='note'>The other groups of the grid (the original report has no numbers for them, "
                     "except Model 1's 90 %):</p>" + accuracy_table_html(others))
    else:
        text = "<p class='note'>results/tables/accuracy.tsv is missing.</p>"
    body += section("b-accuracy", "Accuracy and loss against the original report", text, 3)
    # curves
    text = inp.figures.html("curves", "Test accuracy and loss per epoch, one line per seed (dashed: diverged)")
    if inp.history is not None and len(inp.history):
        for m in config["grid"]["models"]:   # one table per model: the models train for different budgets
            et = epoch_table(inp.history, [(m, i) for i in config["grid"]["inits"]])
            if not len(et):
                continue
            rows = [[init_label(i)] + [f"{v:.1f}" if finite(v) else "" for v in r] for (_, i), r in et.iterrows()]
            some = "; a selection of epochs" if len(et.columns) < et.columns.max() + 1 else ""
            text += (para(f"{model_label(m)}: test accuracy (%) after each epoch, mean over completed runs (epoch 0: "
                          f"before training){some}:")
                     + table_html(["initialisation"] + [f"epoch {e}" for e in et.columns], rows,
                                  numeric=set(range(1, 1 + len(et.columns)))))
        gap = gap_sentence(inp.history, model, inits, model_label(model))
        if gap:
            text += f"<p class='text'>{esc(gap)}</p>"
        if epochs:
            text += (f"<p class='text'>The accuracy table above is the last column of these curves for "
                     f"{esc(model_label(model))} (epoch {esc(', '.join(map(str, epochs)))}).</p>")
    body += section("b-curves", "Accuracy over training: the budget of the table", text, 3)
    # figures
    text = ""
    captions = {"expB/conv1_default_vs_he": "conv1 final weights, original (default) vs He initialisation",
                "expB/init_grid_conv": "every conv layer's final weights by initialisation",
                "expB/init_grid_fc": "every fc layer's final weights by initialisation"}
    for stem in experiment_b_stems(config):
        text += inp.figures.html(stem, f"Experiment B, {model_label(model)}: {captions.get(stem, stem)}")
        if inp.expB is not None and len(inp.expB):
            s = inp.expB[(inp.expB.model == model)]
            if stem == "expB/conv1_default_vs_he":
                for i in ("default", "he"):
                    r = s[(s.init == i) & (s.param == "conv1.weight")]
                    if len(r):
                        seeds = inp.seeds(model, i, "conv1.weight")
                        text += para(describe_layer(f"{init_label(i)} conv1", r.iloc[0], seeds, rel))
                sa, sb = inp.seeds(model, "default", "conv1.weight"), inp.seeds(model, "he", "conv1.weight")
                if len(sa) and len(sb):
                    text += f"<p class='text'>{esc(compare_layer('Baseline', sa, 'He', sb))}</p>"
            else:
                kind = "conv" if stem.endswith("conv") else "fc"
                text += init_grid_text(s[s.kind == kind], inits, kind, rel)
    body += section("b-figures", "Final weights by initialisation", text, 3)
    claims = claims_for(inp.claims, ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9"])
    text = (f"<p class='text'>{esc(verdict_counts(claims))}</p>" + claims_block(claims)) if len(claims) else \
        "<p class='note'>No claim of experiment B was measured (it needs the default initialisation in the grid).</p>"
    body += section("b-claims", "The original's claims about initialisation", text, 3)
    return section("experiment-b", SECTIONS["experiment-b"], body)


def init_grid_text(s: pd.DataFrame, inits: list[str], kind: str, rel: float) -> str:
    """A table of spread, skew, tails and share near zero per layer and initialisation, and which initialisation
    gives the widest and the narrowest layer how often."""
    if not len(s):
        return ""
    s = s.copy()
    s["_k"] = s.layer.map(layer_sort_key)
    layers = list(dict.fromkeys(s.sort_values("_k").layer))
    rows = []
    for layer in layers:
        for i in inits:
            r = s[(s.layer == layer) & (s.init == i)]
            if len(r):
                r = r.iloc[0]
                rows.append([layer, init_label(i), int(r.n_seeds), pm(r.std_mean, r.std_sd), pm(r.skew_mean, r.skew_sd),
                             pm(r.kurtosis_mean, r.kurtosis_sd), pct(r.frac_near_zero_mean)])
    out = table_html(["layer", "initialisation", "seeds", "spread (sd)", "skew", "excess kurtosis",
                      "share near zero"], rows, numeric={2, 3, 4, 5, 6})
    widest = Counter(s.loc[s.groupby("layer").std_mean.idxmax()].init)
    narrowest = Counter(s.loc[s.groupby("layer").std_mean.idxmin()].init)
    normal = s[(s.skew_mean.abs() < SYMMETRIC) & (s.kurtosis_mean.abs() < NORMAL_TAILS)]
    n = len(layers)
    parts = [f"Over the {n} {kind} layers, the widest final weights come from "
             + ", ".join(f"{init_label(i)} in {c}" for i, c in widest.most_common())
             + "; the narrowest from " + ", ".join(f"{init_label(i)} in {c}" for i, c in narrowest.most_common()) + "."]
    counts = [f"{init_label(i)} {int((normal.init == i).sum())} of {int((s.init == i).sum())}" for i in inits
              if (s.init == i).any()]
    parts.append(f"Layers roughly symmetric with tails close to a normal's (mean over seeds: |skew| < {SYMMETRIC:g} "
                 f"and |excess kurtosis| < {NORMAL_TAILS:g}): " + ", ".join(counts) + ".")
    return out + f"<p class='text'>{esc(' '.join(parts))}</p>"


def explanations_section(config: dict, inp: Inputs) -> str:
    claims = inp.claims if inp.claims is not None else pd.DataFrame()
    text = (f"<p class='text'>{esc(verdict_counts(claims))} The verdict rules: a property of one group is supported if "
            "it holds for every seed, contradicted if it holds for none; a comparison of two groups is supported if "
            "every seed of one lies beyond every seed of the other in the stated direction, contradicted if every "
            "seed goes the other way; inconclusive otherwise, and with fewer than 2 seeds.</p>"
            + claims_block(claims, full=True)) if len(claims) else "<p class='note'>No claims table.</p>"
    body = section("m-claims", "Every claim of the original, measured", text, 3)
    figs = ""
    for stem in measure_stems(config):
        name = stem.split("/")[1]
        key = "quantiles" if name.startswith("quantiles_") else name
        cap = MEASURE_CAPTIONS.get(key, name)
        if key == "quantiles":
            cap = f"{model_label(name[len('quantiles_'):])}: {cap}"
        figs += inp.figures.html(stem, cap)
    body += section("m-figures", "The explanations measured", figs, 3)
    body += section("m-groups", "Group distances against seed noise", groups_block(inp.group_comparison), 3)
    body += section("m-correlations", "What goes with accuracy", correlations_block(inp.correlation), 3)
    return section("explanations", SECTIONS["explanations"], body)


def groups_block(comp: pd.DataFrame | None) -> str:
    if comp is None or not len(comp):
        return "<p class='note'>No group comparison (results/stats/group_comparison.tsv is missing or empty).</p>"
    rows, sentences = [], []
    for name, c in comp.groupby("comparison", sort=False):
        parts = []
        for variant, g in c.groupby("variant", sort=False):
            diff = g[g.differs.astype(bool)]
            few = int((g[["n_a", "n_b"]].min(axis=1) < 2).sum())
            rows.append([name, variant, len(g), len(diff), ", ".join(diff.layer) or "none",
                         f"{num(g.ks_ratio.median())}"])
            p = f"{len(diff)} of {len(g)} layers differ beyond seed noise in the {variant} weights"
            p += f" ({few} with fewer than 2 seeds in a group, which the rule cannot call different)" if few else ""
            parts.append(p)
        sentences.append(f"{name}: " + "; ".join(parts) + ".")
    return ("<p class='text'>The rule: a layer differs when every pair of seeds across the two groups is farther apart "
            "than every pair of seeds inside either group, by both the Kolmogorov-Smirnov and the Wasserstein-1 "
            "distance; \u201ceffective\u201d weights have BatchNorm folded in, so BN and plain models compare "
            "fairly.</p>"
            + table_html(["comparison", "weights", "layers", "differ", "layers that differ",
                          "median KS ratio (between / within)"], rows, numeric={2, 3, 5})
            + f"<p class='text'>{esc(' '.join(sentences))}</p>")


def correlations_block(corr: pd.DataFrame | None) -> str:
    if corr is None or not len(corr):
        return "<p class='note'>No correlation table (results/stats/accuracy_correlation.tsv).</p>"
    valid = corr[corr.spearman.map(finite) & corr.ci_low.map(finite) & corr.ci_high.map(finite)]
    sure = valid[(valid.ci_low > 0) | (valid.ci_high < 0)].copy()
    head = ("Spearman rank correlation of per-layer measures with final test accuracy, 95 % bootstrap intervals "
            f"over runs. Of {len(valid)} correlations that could be computed, {len(sure)} have an interval that "
            "excludes zero")
    if not len(sure):
        return f"<p class='text'>{esc(head)}.</p>"
    pos, neg = int((sure.spearman > 0).sum()), int((sure.spearman < 0).sum())
    sure = sure.reindex(sure.spearman.abs().sort_values(ascending=False).index)
    shown = sure.head(TOP_CORRELATIONS)
    head += (f" ({pos} positive, {neg} negative); the {len(shown)} strongest are listed. With many measures and "
             "layers some intervals exclude zero by chance: read these as leads, not findings.")
    rows = [[r.scope, r.measure, r.layer, int(r.n_runs), f"{r.spearman:+.2f}", f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]"]
            for _, r in shown.iterrows()]
    return f"<p class='text'>{esc(head)}</p>" + table_html(
        ["scope", "measure", "layer", "runs", "Spearman", "95 % interval"], rows, numeric={3, 4, 5})


# ---------------------------------------------------------------------------------------------------------------------
# The document


def build_report(config: dict, inputs: dict) -> str:
    """The report's HTML (a str; pure ASCII, non-ASCII characters as character references)."""
    inp = Inputs(inputs)
    a, b = config["experiments"]["a"], config["experiments"]["b"]
    parts, toc, left_out = [], [], []
    parts.append(setup_section(config, inp))
    toc.append(("setup", SECTIONS["setup"]))
    if a is not None:
        parts.append(experiment_a_section(config, inp))
        toc.append(("experiment-a", SECTIONS["experiment-a"]))
    else:
        left_out.append("Experiment A (config experiments.a is null)")
    if b is not None:
        parts.append(experiment_b_section(config, inp))
        toc.append(("experiment-b", SECTIONS["experiment-b"]))
    else:
        left_out.append("Experiment B (config experiments.b is null)")
    parts.append(explanations_section(config, inp))
    toc.append(("explanations", SECTIONS["explanations"]))
    nav = "<nav><strong>Contents</strong><ol>" + "".join(f'<li><a href="#{i}">{esc(t)}</a></li>' for i, t in toc) + \
        "</ol>" + (f"<p class='note'>Left out: {esc('; '.join(left_out))}.</p>" if left_out else "") + "</nav>"
    source = config["data"]["source"]
    intro = ("<p class='text'>A reproduction of the student report \u201cComparative Analysis of Weight Distributions "
             "Across Layers\u201d (CIFAR-10): the same figures and tables, regenerated by the weightdist pipeline "
             f"from its own training runs (data source: {esc(source)}), with every claim of the report turned into "
             "a measured quantity and a verdict. Every sentence about a distribution below is computed from the "
             "tables; mean ± sd is over completed seeds.</p>")
    doc = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<title>weightdist: weight distributions across layers, reproduced</title>"
           "<link rel=\"icon\" href=\"data:,\">"
           f"<style>{STYLE}</style></head><body>"
           "<h1>Weight distributions across layers: the study, reproduced and measured</h1>"
           + intro + nav + "".join(parts) + "</body></html>\n")
    return doc.encode("ascii", "xmlcharrefreplace").decode("ascii")


def write_report(config: dict, inputs: dict, out: str, *, log=None) -> None:
    text = build_report(config, inputs)
    write_text(out, text)
    if log:
        log.info(f"wrote {out} ({len(text) / 1e6:.2f} MB)")
