"""The whole smoke DAG in a scratch copy of the workflow: completes, is incremental, outputs as documented."""

from __future__ import annotations

import json

import h5py
import pandas as pd
import pytest
from conftest import REPO, load, planned_jobs, snakemake

from weightdist.config import runs
from weightdist.render import experiment_a_stems, experiment_b_stems, figure_files, measure_stems, table_files

pytestmark = pytest.mark.slow
SMOKE = ("--configfile", "config/smoke.yaml")


@pytest.fixture(scope="module")
def workdir(smoke_workdir):
    """The shared smoke run (conftest), brought up to date in case an earlier test left a file newer."""
    snakemake(smoke_workdir, "--cores", "2", *SMOKE)
    return smoke_workdir


def overlay(workdir, name: str, text: str) -> str:
    path = workdir / "config" / name
    path.write_text(text)
    return f"config/{name}"


class TestSmokeRun:
    def test_every_output(self, workdir):
        """Runs, statistics, figures (every format) and tables all exist and are non-empty."""
        config = load(REPO / "config/smoke.yaml")
        expected = [f"results/runs/{m}/{i}/seed{s}/{f}" for m, i, s in runs(config)
                    for f in ("weights.h5", "metrics.json", "train.log", "layer_stats.tsv")]
        expected += [f"results/stats/{n}.tsv" for n in ("layer_stats", "runs", "history", "gradients")]
        expected += figure_files(experiment_a_stems(config) + experiment_b_stems(config) + ["curves"], config)
        expected += figure_files(measure_stems(config), config)
        expected += [f"results/runs/{m}/{i}/seed{s}/measures.tsv" for m, i, s in runs(config)]
        expected += [f"results/stats/{n}.tsv" for n in ("measures", "group_comparison", "accuracy_correlation")]
        expected += table_files(config) + ["results/tables/claims.tsv", "results/tables/claims.md"]
        expected += ["results/data/cifar10.npz", "results/data/cifar10.json", "results/report.html"]
        missing = [p for p in expected if not (workdir / p).is_file() or (workdir / p).stat().st_size == 0]
        assert not missing
        assert not list((workdir / "results").rglob("checkpoint.pt"))   # cleaned once outputs are complete
        assert not list((workdir / "results").rglob("*.part"))

    def test_nothing_left_to_do(self, workdir):
        """A second dry run has nothing to do."""
        assert planned_jobs(workdir, *SMOKE) == {}

    def test_tables(self, workdir):
        """runs.tsv has one completed row per run; layer_stats has every snapshot of every run."""
        table = pd.read_csv(workdir / "results/stats/runs.tsv", sep="\t")
        assert len(table) == 16 and set(table.status) == {"completed"}
        stats = pd.read_csv(workdir / "results/stats/layer_stats.tsv", sep="\t")
        assert set(stats.epoch) == {0, 1, 2}
        assert {"frac_near_zero", "kurtosis", "q99", "l2"} <= set(stats.columns)
        metrics = json.loads((workdir / "results/runs/vgg/he/seed0/metrics.json").read_text())
        assert [h["epoch"] for h in metrics["history"]] == [0, 1, 2] and metrics["device"] == "cpu"

    def test_weights_match_metrics(self, workdir):
        """The HDF5 file's accuracy attribute is the metrics file's final test accuracy."""
        metrics = json.loads((workdir / "results/runs/resvgg/default/seed1/metrics.json").read_text())
        with h5py.File(workdir / "results/runs/resvgg/default/seed1/weights.h5", "r") as f:
            assert f.attrs["test_accuracy"] == metrics["test_acc"]
            assert sorted(f["epochs"]) == ["000", "001", "002"]


class TestIncremental:
    def test_deleted_weights(self, workdir):
        """Deleting one weights.h5 retrains that run only, then its statistics and what renders from them."""
        path = workdir / "results/runs/vgg/he/seed1/weights.h5"
        backup = path.read_bytes()
        path.unlink()
        try:
            jobs = planned_jobs(workdir, *SMOKE)
        finally:
            path.write_bytes(backup)
        assert jobs.pop("train") == 1 and jobs.pop("layer_stats") == 1
        assert set(jobs) == {"measure_run", "aggregate", "compare_groups", "correlate", "claims", "plot_experiment_b",
                             "plot_curves", "plot_measures", "tables", "html_report", "all"}
        assert jobs["measure_run"] == 1

    def test_new_seed(self, workdir):
        """A seed added to the grid trains only the new runs (2 models x 4 inits)."""
        extra = overlay(workdir, "seed.yaml", "grid: {seeds: [0, 1, 2]}\n")
        jobs = planned_jobs(workdir, "--configfile", "config/smoke.yaml", extra)
        assert jobs["train"] == 8 and jobs["layer_stats"] == 8

    def test_hyperparameter(self, workdir):
        """A changed training hyperparameter of one model retrains that model's runs, no others."""
        extra = overlay(workdir, "lr.yaml", "models: {vgg: {recipe: {lr: 0.02}}}\n")
        assert planned_jobs(workdir, "--configfile", "config/smoke.yaml", extra)["train"] == 8

    def test_operational_option(self, workdir):
        """Threads or checkpoint cadence do not retrain anything."""
        extra = overlay(workdir, "ops.yaml", "compute: {threads: 2, checkpoint_every: 2}\n")
        assert planned_jobs(workdir, "--configfile", "config/smoke.yaml", extra) == {}

    def test_new_measure(self, workdir):
        """A changed analysis option recomputes statistics and measures, and retrains nothing."""
        extra = overlay(workdir, "analysis.yaml", "analysis: {near_zero_rel: 0.2}\n")
        jobs = planned_jobs(workdir, "--configfile", "config/smoke.yaml", extra)
        assert "train" not in jobs and jobs["layer_stats"] == 16 and jobs["measure_run"] == 16

    def test_plot_option(self, workdir):
        """A plotting option reruns only the rendering."""
        extra = overlay(workdir, "plot.yaml", "plots: {bins: 41}\n")
        jobs = planned_jobs(workdir, "--configfile", "config/smoke.yaml", extra)
        assert set(jobs) == {"plot_experiment_a", "plot_experiment_b", "plot_curves", "plot_measures", "html_report",
                             "all"}


def test_lint():
    """snakemake --lint has nothing to say about the workflow."""
    proc = snakemake(REPO, "--lint", *SMOKE)
    assert "Congratulations" in proc.stdout + proc.stderr
