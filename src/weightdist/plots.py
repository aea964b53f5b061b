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
    values = np.concatenate([np.ravel(a) for p in panels for a in p.seeds]) if any(p.seeds for p in panels) else np.zeros(1)
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
    fig.suptitle(f"{title}  ({outside:.2%} of values outside the x range)", fontsize=9)
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
