"""Figures: weight histograms compared across groups (every seed drawn), init grids, training curves.

Every histogram panel draws one outline per seed, so the seed-to-seed spread is visible next to the group difference.
Panels that are compared share their x axis and bins; titles count seeds and weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .config import INIT_LABELS, MODEL_LABELS  # noqa: E402

MODEL_COLORS = {"resvgg": "#1f77b4", "vgg": "#d62728"}
INIT_COLORS = {"default": "#555555", "he": "#d62728", "xavier": "#2ca02c", "orthogonal": "#9467bd"}


@dataclass
class Panel:
    title: str
    color: str
    seeds: list[np.ndarray]                      # one flat array of weights per seed
    notes: list[str] = field(default_factory=list)
    marker: float | None = None                  # a vertical reference line (e.g. BN gamma's initial 1.0)


def shared_edges(panels: list[Panel], bins: int, coverage: float = 99.9) -> tuple[np.ndarray, float]:
    """Common bin edges over the central `coverage` % of all values; also the share of values outside them."""
    seeds = [np.ravel(a) for p in panels for a in p.seeds]
    values = np.concatenate(seeds) if seeds else np.zeros(1)
    tail = (100 - coverage) / 2
    lo, hi = np.percentile(values, [tail, 100 - tail])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.03 * (hi - lo)
    edges = np.linspace(lo - pad, hi + pad, bins + 1)
    outside = float(np.mean((values < edges[0]) | (values > edges[-1])))
    return edges, outside


def draw_panel(ax, panel: Panel, edges: np.ndarray) -> None:
    for i, w in enumerate(panel.seeds):
        density, _ = np.histogram(np.ravel(w), bins=edges, density=True)
        ax.stairs(density, edges, color=panel.color, alpha=0.45 + 0.4 / max(1, len(panel.seeds)), lw=1.0,
                  fill=False, label="seeds" if i == 0 else None)
    if panel.marker is not None:
        ax.axvline(panel.marker, color="k", ls=":", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.5, zorder=0)
    n = panel.seeds[0].size if panel.seeds else 0
    ax.set_title(f"{panel.title}\n{len(panel.seeds)} seed(s) x {n:,} weights", fontsize=8)
    if panel.notes:
        ax.text(0.02, 0.97, "\n".join(panel.notes), transform=ax.transAxes, va="top", ha="left", fontsize=6.5,
                family="monospace", bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
    ax.tick_params(labelsize=7)
    if not panel.seeds:
        ax.text(0.5, 0.5, "no completed run", transform=ax.transAxes, ha="center", fontsize=8)


def panels_figure(title: str, panels: list[Panel], bins: int, ncols: int | None = None,
                  xlabel: str = "weight value"):
    """Panels with shared bins and axes, `ncols` to a row (default: all in one row)."""
    ncols = min(ncols or len(panels), len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.7 * nrows + 0.4), sharex=True, sharey=True,
                             squeeze=False, layout="constrained")
    edges, outside = shared_edges(panels, bins)
    for ax, p in zip(axes.flat, panels):
        draw_panel(ax, p, edges)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel, fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("density", fontsize=8)
    fig.suptitle(f"{title}\n({outside:.2%} of values outside the x range)", fontsize=9)
    return fig


def grid_figure(title: str, rows: list[str], cols: list[str], cells: dict[tuple[str, str], Panel], bins: int):
    """A grid of histogram panels: rows share bins and x axis (one layer), columns are groups."""
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(2.7 * len(cols), 2.0 * len(rows) + 0.6), squeeze=False,
                             layout="constrained")
    for r, row in enumerate(rows):
        panels = [cells[(row, c)] for c in cols]
        edges, _ = shared_edges(panels, bins)
        top = 0.0
        for c, p in enumerate(panels):
            draw_panel(axes[r, c], p, edges)
            top = max(top, axes[r, c].get_ylim()[1])
        for c in range(len(cols)):
            axes[r, c].set_ylim(0, top)
            if c:
                axes[r, c].tick_params(labelleft=False)
        axes[r, 0].set_ylabel(f"{row}\ndensity", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


def curves_figure(history: pd.DataFrame, models: list[str], inits: list[str]):
    """Test accuracy and loss per epoch, one column per model, one line per seed, coloured by initialisation."""
    fig, axes = plt.subplots(2, len(models), figsize=(4.2 * len(models), 6), squeeze=False, sharex="col",
                             layout="constrained")
    for c, model in enumerate(models):
        for init in inits:
            g = history[(history.model == model) & (history.init == init)]
            for i, (seed, run) in enumerate(g.groupby("seed")):
                run = run.sort_values("epoch")
                kw = {"color": INIT_COLORS[init], "alpha": 0.75, "lw": 1.1,
                      "ls": "--" if (run.status == "diverged").any() else "-"}
                label = f"{INIT_LABELS[init]} ({g.seed.nunique()} seeds)" if i == 0 else None
                axes[0, c].plot(run.epoch, 100 * run.test_acc, label=label, **kw)
                axes[1, c].plot(run.epoch, run.test_loss, **kw)
        axes[0, c].set_title(MODEL_LABELS.get(model, model), fontsize=9)
        axes[0, c].set_ylabel("test accuracy (%)", fontsize=8)
        axes[1, c].set_ylabel("test loss", fontsize=8)
        axes[1, c].set_xlabel("epoch", fontsize=8)
        axes[0, c].legend(fontsize=7, loc="lower right")
        for ax in axes[:, c]:
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
    fig.suptitle("Test accuracy and loss over training (one line per seed; dashed: diverged)", fontsize=10)
    return fig


def save(fig, stem: str | Path, formats: list[str], dpi: int) -> list[Path]:
    """Save a figure once per format, each atomically."""
    from .fileio import atomic_path

    out = []
    for fmt in formats:
        path = Path(f"{stem}.{fmt}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi)
        out.append(path)
    plt.close(fig)
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Measures


def quantile_bands_figure(stats: pd.DataFrame, model: str, inits: list[str], layers: list[str]):
    """Per layer (rows) and init (columns): the 5-95 % and 25-75 % bands and the median over training, averaged over
    seeds; thin lines are each seed's median."""
    fig, axes = plt.subplots(len(layers), len(inits), figsize=(2.6 * len(inits), 1.7 * len(layers) + 0.6),
                             squeeze=False, sharex=True, layout="constrained")
    for r, layer in enumerate(layers):
        lo_hi = []
        for c, init in enumerate(inits):
            ax = axes[r, c]
            g = stats[(stats.model == model) & (stats.init == init) & (stats.param == f"{layer}.weight")]
            if g.empty:
                ax.text(0.5, 0.5, "no runs", transform=ax.transAxes, ha="center", fontsize=7)
                continue
            m = g.groupby("epoch")[["q05", "q25", "q50", "q75", "q95"]].mean()
            color = INIT_COLORS[init]
            ax.fill_between(m.index, m.q05, m.q95, color=color, alpha=0.18, lw=0)
            ax.fill_between(m.index, m.q25, m.q75, color=color, alpha=0.35, lw=0)
            for _, run in g.groupby("seed"):
                ax.plot(run.epoch, run.q50, color=color, lw=0.6, alpha=0.8)
            ax.axhline(0, color="0.6", lw=0.5)
            lo_hi += [m.q05.min(), m.q95.max()]
            ax.set_title(f"{INIT_LABELS[init]}: {layer} ({g.seed.nunique()} seeds)", fontsize=7)
            ax.tick_params(labelsize=6)
        if lo_hi:
            pad = 0.05 * (max(lo_hi) - min(lo_hi) or 1)
            for ax in axes[r]:
                ax.set_ylim(min(lo_hi) - pad, max(lo_hi) + pad)
        axes[r, 0].set_ylabel("weight", fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("epoch", fontsize=7)
    fig.suptitle(f"{MODEL_LABELS.get(model, model)}: weight quantiles over training (bands 5-95 % and 25-75 %, mean "
                 "over seeds; lines: each seed's median)", fontsize=9)
    return fig


def layer_dots(ax, frame: pd.DataFrame, column: str, layers: list[str], groups: list[tuple[str, str, str]],
               hollow: str | None = None) -> None:
    """Per layer (x) and group (offset): each seed a dot, the mean a short bar. groups: (init, label, colour)."""
    width = 0.8 / max(1, len(groups))
    for j, (init, label, color) in enumerate(groups):
        g = frame[frame.init == init]
        for x, layer in enumerate(layers):
            v = g[g.layer == layer]
            if v.empty:
                continue
            pos = x - 0.4 + width * (j + 0.5)
            vals = v[column].to_numpy(float)
            filled = ~v[hollow].to_numpy(bool) if hollow else np.ones(len(v), bool)
            ax.scatter(np.full(filled.sum(), pos), vals[filled], s=9, color=color, zorder=3,
                       label=label if x == 0 else None)
            ax.scatter(np.full((~filled).sum(), pos), vals[~filled], s=9, facecolors="none", edgecolors=color,
                       zorder=3)
            if np.isfinite(vals).any():
                ax.hlines(np.nanmean(vals), pos - width * 0.4, pos + width * 0.4, color=color, lw=1.5)
    ax.set_xticks(range(len(layers)), layers, rotation=45, fontsize=7)
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", alpha=0.3)


def per_layer_figure(frame: pd.DataFrame, models: list[str], inits: list[str], layers_of: dict[str, list[str]],
                     column: str, ylabel: str, title: str, hollow: str | None = None, log: bool = False):
    fig, axes = plt.subplots(1, len(models), figsize=(max(4.5, 0.55 * max(len(v) for v in layers_of.values()) *
                                                          len(inits) ** 0.5) * len(models) / 1.4, 3.4),
                             squeeze=False, sharey=True, layout="constrained")
    groups = [(i, INIT_LABELS[i], INIT_COLORS[i]) for i in inits]
    for ax, model in zip(axes[0], models):
        sub = frame[frame.model == model]
        layer_dots(ax, sub, column, layers_of[model], groups, hollow)
        n = sub.groupby("init").seed.nunique()
        ax.set_title(f"{MODEL_LABELS.get(model, model)} (seeds per init: {int(n.max()) if len(n) else 0})",
                     fontsize=8)
        if log:
            ax.set_yscale("log")
    axes[0, 0].set_ylabel(ylabel, fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    return fig


def gradient_figure(grads: pd.DataFrame, models: list[str], inits: list[str], layers_of: dict[str, list[str]]):
    """Gradient norm per layer over epochs: rows are models, columns layers; one line per seed, coloured by init."""
    ncols = max(len(v) for v in layers_of.values())
    fig, axes = plt.subplots(len(models), ncols, figsize=(1.9 * ncols, 2.0 * len(models) + 0.6), squeeze=False,
                             sharex=True, layout="constrained")
    for r, model in enumerate(models):
        for c in range(ncols):
            ax = axes[r, c]
            if c >= len(layers_of[model]):
                ax.set_visible(False)
                continue
            layer = layers_of[model][c]
            g = grads[(grads.model == model) & (grads.param == f"{layer}.weight")]
            for init in inits:
                for _, run in g[g.init == init].groupby("seed"):
                    ax.plot(run.epoch, run.grad_norm, color=INIT_COLORS[init], lw=0.8, alpha=0.8)
            ax.set_yscale("log")
            ax.set_title(f"{model}: {layer}", fontsize=7)
            ax.tick_params(labelsize=6)
        axes[r, 0].set_ylabel("mean gradient norm", fontsize=7)
    handles = [plt.Line2D([], [], color=INIT_COLORS[i], label=INIT_LABELS[i]) for i in inits]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(inits), fontsize=7)
    fig.suptitle("Gradient norm of each layer's weights per epoch (mean over the epoch's steps; one line per seed)",
                 fontsize=9)
    return fig


def correlation_figure(corr: pd.DataFrame, layers: list[str]):
    if corr.empty or corr.spearman.isna().all():
        return empty_figure("Per-layer measures vs final test accuracy",
                            "too few completed runs to correlate (at least 6 are needed)")
    scopes = list(dict.fromkeys(corr.scope))
    measures = list(dict.fromkeys(corr.measure))
    fig, axes = plt.subplots(1, len(scopes), figsize=(0.45 * len(layers) * len(scopes) + 2, 0.35 * len(measures) + 1.6),
                             squeeze=False, layout="constrained")
    image = None
    for ax, scope in zip(axes[0], scopes):
        grid = np.full((len(measures), len(layers)), np.nan)
        sig = np.zeros_like(grid, dtype=bool)
        sub = corr[corr.scope == scope]
        for _, r in sub.iterrows():
            if r.layer in layers:
                i, j = measures.index(r.measure), layers.index(r.layer)
                grid[i, j] = r.spearman
                sig[i, j] = (r.ci_low > 0) or (r.ci_high < 0)
        image = ax.imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        for i, j in zip(*np.nonzero(sig)):
            ax.text(j, i, "*", ha="center", va="center", fontsize=8)
        n = int(sub.n_runs.max()) if len(sub) else 0
        ax.set_title(f"{scope} runs (up to {n})", fontsize=8)
        ax.set_xticks(range(len(layers)), layers, rotation=60, fontsize=6)
        ax.set_yticks(range(len(measures)), measures, fontsize=6)
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="Spearman rho with test accuracy")
    fig.suptitle("Per-layer measures vs final test accuracy (* : 95 % bootstrap interval excludes 0)", fontsize=9)
    return fig


def empty_figure(title: str, message: str):
    fig, ax = plt.subplots(figsize=(6, 1.6), layout="constrained")
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=9)
    fig.suptitle(title, fontsize=9)
    return fig


def distances_figure(comp: pd.DataFrame):
    """Per comparison: KS distance between groups (dots per seed pair mean) against within-group distance."""
    if comp.empty:
        return empty_figure("Group differences against seed-to-seed differences",
                            "no comparison possible: a compared group has no completed run")
    names = list(dict.fromkeys(comp.comparison + " [" + comp.variant + "]"))
    fig, axes = plt.subplots(len(names), 1, figsize=(max(6, 0.45 * comp.param.nunique() + 2), 2.2 * len(names) + 0.4),
                             squeeze=False, layout="constrained")
    for ax, name in zip(axes[:, 0], names):
        g = comp[(comp.comparison + " [" + comp.variant + "]") == name].reset_index(drop=True)
        x = np.arange(len(g))
        ax.bar(x - 0.2, g.ks_between, 0.4, color="#d62728", label="between groups (mean over seed pairs)")
        ax.bar(x + 0.2, g.ks_within, 0.4, color="0.6", label="within groups (mean over seed pairs)")
        ax.scatter(x - 0.2, g.ks_between_min, marker="_", color="k", s=60, zorder=3, label="between: min")
        ax.scatter(x + 0.2, g.ks_within_max, marker="_", color="b", s=60, zorder=3, label="within: max")
        for xi, d in zip(x, g.differs):
            if d:
                ax.text(xi, ax.get_ylim()[1] * 0.95, "differs", ha="center", va="top", fontsize=6, rotation=90)
        ax.set_xticks(x, g.param.str.replace(".weight", "", regex=False), rotation=60, fontsize=6)
        ax.set_ylabel("KS distance", fontsize=7)
        ax.set_title(f"{name}: n = {int(g.n_a.max())} vs {int(g.n_b.max())} seeds", fontsize=8)
        ax.tick_params(labelsize=6)
    axes[0, 0].legend(fontsize=6, ncols=2)
    fig.suptitle("Group differences against seed-to-seed differences, per layer (KS statistic)", fontsize=9)
    return fig
