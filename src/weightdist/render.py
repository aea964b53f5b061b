"""Figures and tables of the study, assembled from the runs' weight files and the aggregated statistics.

`figure_stems(config)` is the single list of figures: the Snakefile declares exactly these outputs and the render jobs
write exactly these files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import plots
from .config import INIT_LABELS, MODEL_LABELS, architecture
from .fileio import read_table, write_table, write_text
from .layers import layer_sort_key
from .reference import reported
from .stats import describe
from .weights import WeightFile

# ---------------------------------------------------------------------------------------------------------------------
# What is rendered


def experiment_a_stems(config: dict) -> list[str]:
    a = config["experiments"]["a"]
    if a is None:
        return []
    arch = architecture(config, a["models"][0])
    stems = [f"expA/{layer}" for layer in arch.layer_names("conv")] + ["expA/fc"]
    if "resvgg" in a["models"]:
        stems += ["expA/bn_gamma", "expA/shortcut"]
    return stems


def experiment_b_stems(config: dict) -> list[str]:
    b = config["experiments"]["b"]
    if b is None:
        return []
    stems = ["expB/init_grid_conv", "expB/init_grid_fc"]
    if "default" in b["inits"] and "he" in b["inits"]:
        stems.insert(0, "expB/conv1_default_vs_he")
    return stems


def figure_files(stems: list[str], config: dict, root: str = "results/figures") -> list[str]:
    return [f"{root}/{s}.{fmt}" for s in stems for fmt in config["plots"]["formats"]]


# ---------------------------------------------------------------------------------------------------------------------
# Reading the runs


class Runs:
    """The runs behind a figure: which are complete, and their weights."""

    def __init__(self, weight_paths: list[str | Path]):
        rows = []
        for p in weight_paths:
            with WeightFile(p) as wf:
                rows.append({"model": wf.attrs["model"], "init": wf.attrs["init"], "seed": int(wf.attrs["seed"]),
                             "status": wf.attrs["status"], "path": str(p)})
        self.table = pd.DataFrame(rows, columns=["model", "init", "seed", "status", "path"])

    def completed(self, model: str, init: str) -> pd.DataFrame:
        t = self.table
        return t[(t.model == model) & (t.init == init) & (t.status == "completed")].sort_values("seed")

    def n_diverged(self, model: str, init: str) -> int:
        t = self.table
        return int(((t.model == model) & (t.init == init) & (t.status != "completed")).sum())

    def weights(self, model: str, init: str, param: str, epoch: int | None = None) -> list[np.ndarray]:
        """The final (or given epoch's) values of one parameter, one array per completed seed."""
        out = []
        for path in self.completed(model, init).path:
            with WeightFile(path) as wf:
                if param in dict(wf.entries(epoch)):
                    out.append(wf.read(param, epoch).ravel())
        return out

    def panel(self, model: str, init: str, param: str, title: str, color: str, marker: float | None = None,
              near_zero_rel: float = 0.1) -> plots.Panel:
        seeds = self.weights(model, init, param)
        notes = summary_notes(seeds, near_zero_rel)
        diverged = self.n_diverged(model, init)
        if diverged:
            notes.append(f"{diverged} diverged run(s) not drawn")
        return plots.Panel(title=title, color=color, seeds=seeds, notes=notes, marker=marker)


def summary_notes(seeds: list[np.ndarray], near_zero_rel: float) -> list[str]:
    """Mean +- sd over seeds of centre, spread, skew and share near zero, for a panel's corner."""
    if not seeds:
        return []
    d = pd.DataFrame([describe(w, near_zero_rel) for w in seeds])

    def ms(col: str, fmt: str = ".3f") -> str:
        sd = d[col].std(ddof=1) if len(d) > 1 else float("nan")
        return f"{d[col].mean():{fmt}} +- {sd:{fmt}}" if len(d) > 1 else f"{d[col].mean():{fmt}}"

    return [f"mean  {ms('mean')}", f"sd    {ms('std')}", f"skew  {ms('skew', '.2f')}",
            f"near0 {ms('frac_near_zero', '.3f')}"]


# ---------------------------------------------------------------------------------------------------------------------
# Figures


def render_experiment_a(config: dict, weight_paths: list[str], root: str = "results/figures", *, log=None) -> None:
    a, p = config["experiments"]["a"], config["plots"]
    near0 = config["analysis"]["near_zero_rel"]
    runs, init, models = Runs(weight_paths), a["init"], a["models"]
    arch = architecture(config, models[0])
    later = f"conv{a['later_conv']}"
    for layer in arch.layer_names("conv"):
        role = {"conv1": "first conv layer", "conv2": "second conv layer", later: "a later conv layer"}.get(layer, "")
        panels = [runs.panel(m, init, f"{layer}.weight", f"{MODEL_LABELS[m]}: {layer}", plots.MODEL_COLORS[m],
                             near_zero_rel=near0) for m in models]
        fig = plots.panels_figure(f"Experiment A, {layer} {('(' + role + ')') if role else ''}: final weights, "
                                  f"{INIT_LABELS[init]} init", panels, p["bins"])
        plots.save(fig, f"{root}/expA/{layer}", p["formats"], p["dpi"])
    fcs = arch.layer_names("fc")
    cells = {(fc, m): runs.panel(m, init, f"{fc}.weight", f"{MODEL_LABELS[m]}: {fc}", plots.MODEL_COLORS[m],
                                 near_zero_rel=near0) for fc in fcs for m in models}
    fig = plots.grid_figure(f"Experiment A: fully connected layers, final weights ({INIT_LABELS[init]} init)",
                            fcs, models, cells, p["bins"])
    plots.save(fig, f"{root}/expA/fc", p["formats"], p["dpi"])
    if "resvgg" in models:
        res = architecture(config, "resvgg")
        bns = res.layer_names("bn") + [f"shortcut_bn{s}" for s in range(1, len(res.stages) + 1)]
        panels = [runs.panel("resvgg", init, f"{bn}.weight", f"{bn} gamma", plots.MODEL_COLORS["resvgg"], marker=1.0,
                             near_zero_rel=near0) for bn in bns]
        fig = plots.panels_figure(f"Experiment A: BatchNorm gamma of {MODEL_LABELS['resvgg']} (dotted: initial 1.0)",
                                  panels, p["bins"], ncols=4, xlabel="gamma")
        plots.save(fig, f"{root}/expA/bn_gamma", p["formats"], p["dpi"])
        stages = [str(s) for s in range(1, len(res.stages) + 1)]
        rows = ["1x1 conv weight", "shortcut BN gamma"]
        cells = {}
        for s in stages:
            cells[(rows[0], s)] = runs.panel("resvgg", init, f"shortcut{s}.weight", f"shortcut{s} (1x1 conv)",
                                             plots.MODEL_COLORS["resvgg"], near_zero_rel=near0)
            cells[(rows[1], s)] = runs.panel("resvgg", init, f"shortcut_bn{s}.weight", f"shortcut_bn{s} gamma",
                                             plots.MODEL_COLORS["resvgg"], marker=1.0, near_zero_rel=near0)
        fig = plots.grid_figure(f"Experiment A: residual shortcuts of {MODEL_LABELS['resvgg']}, per stage",
                                rows, stages, cells, p["bins"])
        plots.save(fig, f"{root}/expA/shortcut", p["formats"], p["dpi"])


def render_experiment_b(config: dict, weight_paths: list[str], root: str = "results/figures", *, log=None) -> None:
    b, p = config["experiments"]["b"], config["plots"]
    near0 = config["analysis"]["near_zero_rel"]
    runs, model, inits = Runs(weight_paths), b["model"], b["inits"]
    arch = architecture(config, model)
    label = MODEL_LABELS[model]

    def panel(init: str, layer: str) -> plots.Panel:
        return runs.panel(model, init, f"{layer}.weight", f"{INIT_LABELS[init]}: {layer}", plots.INIT_COLORS[init],
                          near_zero_rel=near0)

    if "expB/conv1_default_vs_he" in experiment_b_stems(config):
        fig = plots.panels_figure(f"Experiment B, {label}: conv1 final weights, original (default) vs He init",
                                  [panel("default", "conv1"), panel("he", "conv1")], p["bins"])
        plots.save(fig, f"{root}/expB/conv1_default_vs_he", p["formats"], p["dpi"])
    for kind, stem in (("conv", "init_grid_conv"), ("fc", "init_grid_fc")):
        layers = arch.layer_names(kind)
        cells = {(layer, init): panel(init, layer) for layer in layers for init in inits}
        fig = plots.grid_figure(f"Experiment B, {label}: final {kind} weights by initialisation (rows share bins)",
                                layers, inits, cells, p["bins"])
        plots.save(fig, f"{root}/expB/{stem}", p["formats"], p["dpi"])


def render_curves(config: dict, history_tsv: str, root: str = "results/figures", *, log=None) -> None:
    p = config["plots"]
    history = read_table(history_tsv)
    fig = plots.curves_figure(history, config["grid"]["models"], config["grid"]["inits"])
    plots.save(fig, f"{root}/curves", p["formats"], p["dpi"])


# ---------------------------------------------------------------------------------------------------------------------
# Tables


def mean_sd(frame: pd.DataFrame, by: list[str], columns: list[str]) -> pd.DataFrame:
    """Per group: n and, for each column, its mean and sd over the group's rows (seeds)."""
    g = frame.groupby(by, sort=False)
    out = g.size().rename("n_seeds").to_frame()
    for c in columns:
        out[f"{c}_mean"] = g[c].mean()
        out[f"{c}_sd"] = g[c].std(ddof=1)
    return out.reset_index()


def fmt_pm(mean: float, sd: float, digits: int = 3) -> str:
    if pd.isna(mean):
        return "n/a"
    return f"{mean:.{digits}f}" + ("" if pd.isna(sd) else f" ± {sd:.{digits}f}")


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
    for _, r in frame.iterrows():
        lines.append("| " + " | ".join("" if pd.isna(v) else str(v).replace("|", "\\|") for v in r) + " |")
    return "\n".join(lines) + "\n"


def accuracy_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (model, init): runs, diverged, epochs, test accuracy (%) and loss as mean and sd over completed seeds,
    and the original report's numbers."""
    rows = []
    for (model, init), g in runs.groupby(["model", "init"], sort=False):
        done = g[g.status == "completed"]
        ref = reported(model, init)
        acc, loss = 100 * done.test_acc, done.test_loss
        rows.append({"model": model, "init": init, "runs": len(g), "diverged": int((g.status == "diverged").sum()),
                     "epochs": int(g.epochs.max()), "test_acc_mean": acc.mean(), "test_acc_sd": acc.std(ddof=1),
                     "test_loss_mean": loss.mean(), "test_loss_sd": loss.std(ddof=1),
                     "report_test_acc": ref.get("test_acc"), "report_test_loss": ref.get("test_loss")})
    return pd.DataFrame(rows)


def accuracy_markdown(table: pd.DataFrame) -> str:
    shown = pd.DataFrame({
        "model": [MODEL_LABELS[m] for m in table.model], "initialisation": [INIT_LABELS[i] for i in table.init],
        "runs (diverged)": [f"{r} ({d})" for r, d in zip(table.runs, table.diverged)], "epochs": table.epochs,
        "test accuracy (%)": [fmt_pm(m, s, 2) for m, s in zip(table.test_acc_mean, table.test_acc_sd)],
        "test loss": [fmt_pm(m, s, 4) for m, s in zip(table.test_loss_mean, table.test_loss_sd)],
        "report: accuracy (%)": ["" if pd.isna(v) else f"{v:.2f}" for v in table.report_test_acc],
        "report: loss": ["" if pd.isna(v) else f"{v:.4f}" for v in table.report_test_loss]})
    return markdown(shown)


LAYER_COLUMNS = ["mean", "std", "skew", "kurtosis", "q05", "q95", "frac_near_zero", "l2"]


def layer_table(layer_stats: pd.DataFrame, runs: pd.DataFrame, models: list[str], inits: list[str]) -> pd.DataFrame:
    """Final-weight statistics per (model, init, parameter) as mean and sd over completed seeds (weights only)."""
    done = runs[runs.status == "completed"][["model", "init", "seed", "final_epoch"]]
    s = layer_stats.merge(done, on=["model", "init", "seed"])
    s = s[(s.epoch == s.final_epoch) & (s.role == "weight") & s.model.isin(models) & s.init.isin(inits)]
    return mean_sd(s, ["model", "init", "layer", "kind", "param"], LAYER_COLUMNS)


def layer_markdown(table: pd.DataFrame) -> str:
    shown = table[["model", "init", "param", "n_seeds"]].copy()
    for c in LAYER_COLUMNS:
        shown[c] = [fmt_pm(m, s) for m, s in zip(table[f"{c}_mean"], table[f"{c}_sd"])]
    return markdown(shown)


def render_tables(config: dict, runs_tsv: str, layer_stats_tsv: str, root: str = "results/tables", *,
                  log=None) -> None:
    runs = read_table(runs_tsv)
    acc = accuracy_table(runs)
    write_table(f"{root}/accuracy.tsv", acc)
    write_text(f"{root}/accuracy.md", accuracy_markdown(acc))
    stats = read_table(layer_stats_tsv)
    a, b = config["experiments"]["a"], config["experiments"]["b"]
    if a is not None:
        t = layer_table(stats, runs, a["models"], [a["init"]])
        write_table(f"{root}/expA_layers.tsv", t)
        write_text(f"{root}/expA_layers.md", layer_markdown(t))
    if b is not None:
        t = layer_table(stats, runs, [b["model"]], b["inits"])
        write_table(f"{root}/expB_layers.tsv", t)
        write_text(f"{root}/expB_layers.md", layer_markdown(t))


def table_files(config: dict, root: str = "results/tables") -> list[str]:
    stems = ["accuracy"]
    stems += ["expA_layers"] if config["experiments"]["a"] is not None else []
    stems += ["expB_layers"] if config["experiments"]["b"] is not None else []
    return [f"{root}/{s}.{ext}" for s in stems for ext in ("tsv", "md")]


# ---------------------------------------------------------------------------------------------------------------------
# Measures


MEASURE_STEMS = ["dead_units", "gradient_norms", "weight_change", "filter_diversity", "spectral_alpha",
                 "accuracy_correlation", "group_distances"]


def measure_stems(config: dict) -> list[str]:
    return [f"measures/quantiles_{m}" for m in config["grid"]["models"]] + [f"measures/{s}" for s in MEASURE_STEMS]


def study_figure_stems(config: dict) -> list[str]:
    """Every figure of the study, in reading order: the workflow's targets and what the report embeds."""
    return experiment_a_stems(config) + experiment_b_stems(config) + ["curves"] + measure_stems(config)


def render_measures(config: dict, tables: dict[str, str], root: str = "results/figures", *, log=None) -> None:
    """Figures of the analysis stage from results/stats tables."""
    p = config["plots"]
    models, inits = config["grid"]["models"], config["grid"]["inits"]
    read = {k: read_table(v) for k, v in tables.items()}
    runs = read["runs"]
    done = runs[runs.status == "completed"][["model", "init", "seed", "final_epoch"]]
    key = ["model", "init", "seed"]
    stats = read["layer_stats"].merge(done[key], on=key)
    weight_layers = {m: architecture(config, m).layer_names("conv") + architecture(config, m).layer_names("fc")
                     for m in models}
    for m in models:
        fig = plots.quantile_bands_figure(stats, m, inits, weight_layers[m])
        plots.save(fig, f"{root}/measures/quantiles_{m}", p["formats"], p["dpi"])

    meas = read["measures"].merge(done, on=key)
    final = meas[(meas.epoch == meas.final_epoch) & (meas.variant == "raw")]
    relu_layers = {m: [x for x in weight_layers[m] if x != weight_layers[m][-1]] for m in models}
    fig = plots.per_layer_figure(final, models, inits, relu_layers, "dead_frac", "share of units never active",
                                 "Dead ReLU units per layer at the end of training (dots: seeds; bars: means)")
    plots.save(fig, f"{root}/measures/dead_units", p["formats"], p["dpi"])
    fig = plots.per_layer_figure(final, models, inits, weight_layers, "mean_abs_cos", "mean |cos| between filters",
                                 "Filter similarity per layer (lower = more diverse filters)")
    plots.save(fig, f"{root}/measures/filter_diversity", p["formats"], p["dpi"])
    # BN-folded, so that a BN layer's rescaled weights count as the change they make to the layer's output
    moved = meas[(meas.epoch == meas.final_epoch) & (meas.variant == "effective")]
    fig = plots.per_layer_figure(moved, models, inits, weight_layers, "rel_change", "||W - W0|| / ||W0||",
                                 "How far training moved each layer from its initialisation (BN folded in)")
    plots.save(fig, f"{root}/measures/weight_change", p["formats"], p["dpi"])
    final = final.assign(unreliable=~final.alpha_reliable.astype(bool))
    fig = plots.per_layer_figure(final, models, inits, weight_layers, "alpha", "power-law alpha of W^T W spectrum",
                                 "Spectral power-law exponent per layer (hollow: under 50 eigenvalues, unreliable)",
                                 hollow="unreliable")
    plots.save(fig, f"{root}/measures/spectral_alpha", p["formats"], p["dpi"])

    grads = read["gradients"].merge(done[key], on=key)
    fig = plots.gradient_figure(grads, models, inits, weight_layers)
    plots.save(fig, f"{root}/measures/gradient_norms", p["formats"], p["dpi"])

    corr = read["accuracy_correlation"]
    all_layers = sorted(set(corr.layer), key=layer_sort_key)
    fig = plots.correlation_figure(corr, all_layers)
    plots.save(fig, f"{root}/measures/accuracy_correlation", p["formats"], p["dpi"])

    fig = plots.distances_figure(read["group_comparison"])
    plots.save(fig, f"{root}/measures/group_distances", p["formats"], p["dpi"])


def render_claims(config: dict, weight_paths: list[str], tables: dict[str, str], root: str = "results/tables", *,
                  log=None) -> None:
    from .claims import Evidence, build_claims

    read = {k: read_table(v) for k, v in tables.items()}
    ev = Evidence(Runs(weight_paths), read["runs"], read["layer_stats"], read["measures"], read["gradients"],
                  read["history"])
    claims = build_claims(config, ev)
    write_table(f"{root}/claims.tsv", claims)
    shown = claims[["id", "source", "claim", "measured", "values", "verdict"]]
    write_text(f"{root}/claims.md", markdown(shown))
