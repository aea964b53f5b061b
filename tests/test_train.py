"""Training: it learns, it is deterministic, it resumes exactly, schedules and divergence behave."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_config

from weightdist import train as wdtrain

QUIET = {"log": lambda s: None}


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


class TestTraining:
    def test_learns(self, smoke_config, data):
        """On the learnable synthetic data the plain net beats chance clearly within a few epochs."""
        result = wdtrain.train(run_config(smoke_config, "vgg", "he", 0, epochs=6), data, **QUIET)
        assert result.status == "completed"
        assert result.final["test_acc"] > 0.3
        assert result.history[-1]["train_loss"] < result.history[1]["train_loss"]

    @pytest.mark.parametrize("model", ["resvgg", "vgg"])
    def test_bitwise_deterministic(self, smoke_config, data, model):
        """Same (model, init, seed, config): identical weights, snapshots and history on the CPU."""
        run = run_config(smoke_config, model, "default", 1)
        a, b = wdtrain.train(run, data, **QUIET), wdtrain.train(run, data, **QUIET)
        for epoch in a.snapshots:
            assert same_weights(a.snapshots[epoch], b.snapshots[epoch])
        assert [h["test_loss"] for h in a.history] == [h["test_loss"] for h in b.history]

    def test_seed_changes_everything(self, smoke_config, data):
        """Another seed gives other initial weights (init is seeded) and other final weights."""
        a = wdtrain.train(run_config(smoke_config, "vgg", "he", 0), data, **QUIET)
        b = wdtrain.train(run_config(smoke_config, "vgg", "he", 1), data, **QUIET)
        assert not np.array_equal(a.snapshots[0]["conv1.weight"], b.snapshots[0]["conv1.weight"])

    @pytest.mark.parametrize("model", ["resvgg", "vgg"])
    def test_resume_is_exact(self, smoke_config, data, model, tmp_path):
        """A run restarted from its epoch checkpoint ends bitwise equal to an uninterrupted one."""
        run = run_config(smoke_config, model, "xavier", 0, epochs=3)
        ckpt = tmp_path / "checkpoint.pt"
        uninterrupted = wdtrain.train(run, data, **QUIET)
        wdtrain.train(run, data, checkpoint=ckpt, **QUIET)        # leaves the checkpoint of epoch 2 behind
        assert ckpt.exists()
        resumed = wdtrain.train(run, data, checkpoint=ckpt, **QUIET)
        assert resumed.resumed_from_epoch == 3
        for epoch in uninterrupted.snapshots:
            assert same_weights(uninterrupted.snapshots[epoch], resumed.snapshots[epoch])

    def test_stale_checkpoint_ignored(self, smoke_config, data, tmp_path):
        """A checkpoint of another training config is not resumed from."""
        ckpt = tmp_path / "checkpoint.pt"
        wdtrain.train(run_config(smoke_config, "vgg", "he", 0, epochs=3), data, checkpoint=ckpt, **QUIET)
        result = wdtrain.train(run_config(smoke_config, "vgg", "he", 0, epochs=3, lr=0.02), data, checkpoint=ckpt,
                               **QUIET)
        assert result.resumed_from_epoch is None

    def test_gradient_norms_recorded(self, smoke_config, data):
        """Every trained epoch records a positive mean gradient norm for every parameter."""
        result = wdtrain.train(run_config(smoke_config, "resvgg", "he", 0), data, **QUIET)
        names = set(result.snapshots[0]) - {k for k in result.snapshots[0] if "running" in k}
        for h in result.history[1:]:
            assert set(h["grad_norm"]) == names and min(h["grad_norm"].values()) > 0


class TestSchedule:
    def test_shapes(self, smoke_config):
        """Constant stays at 1; onecycle rises linearly then falls to 0; cosine ends near 0."""
        run = run_config(smoke_config, "vgg", "he", 0, epochs=10, warmup_epochs=2)
        steps = 10
        const = wdtrain.lr_factor(run.recipe, steps)
        assert {const(s) for s in range(100)} == {1.0}
        one = wdtrain.lr_factor(run_config(smoke_config, "vgg", "he", 0, epochs=10, warmup_epochs=2,
                                           schedule="onecycle").recipe, steps)
        values = [one(s) for s in range(100)]
        assert values[0] == pytest.approx(0.05) and values[19] == pytest.approx(1.0)
        assert all(a >= b for a, b in zip(values[19:], values[20:])) and values[-1] < 0.02
        cos = wdtrain.lr_factor(run_config(smoke_config, "vgg", "he", 0, epochs=10, warmup_epochs=0,
                                           schedule="cosine").recipe, steps)
        assert cos(0) == pytest.approx(1.0, abs=0.02) and cos(99) < 0.01


class TestDivergence:
    def test_recorded(self, smoke_config, data):
        """A huge learning rate makes the loss non-finite: the run ends as diverged with what it has."""
        run = run_config(smoke_config, "vgg", "he", 0, epochs=3, lr=1e6)
        result = wdtrain.train(run, data, **QUIET)
        assert result.status == "diverged"
        assert result.divergence["epoch"] == 1 and result.divergence["step"] >= 1
        assert 0 in result.snapshots and 3 not in result.snapshots
        assert all(np.isfinite(v).all() for v in result.snapshots[0].values())

    def test_fail_switch(self, smoke_config, data):
        """With compute.on_divergence: fail the job raises instead."""
        run = run_config(smoke_config, "vgg", "he", 0, epochs=3, lr=1e6)
        d = run.to_dict()
        d["compute"]["on_divergence"] = "fail"
        with pytest.raises(wdtrain.TrainingDiverged, match="non-finite loss at epoch 1"):
            wdtrain.train(type(run).from_dict(d), data, **QUIET)
