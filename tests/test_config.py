"""Configuration: the shipped configs validate, run identity and digests behave."""

from __future__ import annotations

import pytest
from conftest import REPO, load

from weightdist import config as wdconfig


class TestShippedConfigs:
    @pytest.mark.parametrize("overlays", [(), ("smoke.yaml",), ("cpu.yaml",), ("cpu.yaml", "offline.yaml")])
    def test_validates(self, overlays, tmp_path, monkeypatch):
        """Every shipped config (alone or combined as the README combines them) passes schema and checks."""
        monkeypatch.chdir(tmp_path)  # offline.yaml names data/cifar-10-python.tar.gz relative to the work dir
        (tmp_path / "data").mkdir()
        (tmp_path / "data/cifar-10-python.tar.gz").write_bytes(b"x")
        config = load(*[REPO / "config" / o for o in overlays])
        assert wdconfig.runs(config)

    def test_full_grid_is_the_study(self):
        """config.yaml is the study's 2 x 4 x 5 grid on real CIFAR-10."""
        config = load()
        assert len(wdconfig.runs(config)) == 40
        assert config["data"]["source"] == "download" and config["data"]["md5"] == "c58f30108f718f92721af3b95e74349a"

    def test_models_line_up(self):
        """Both models have the same conv widths, so conv k faces conv k in every figure."""
        for overlay in ((), (REPO / "config/smoke.yaml",), (REPO / "config/cpu.yaml",)):
            config = load(*overlay)
            assert config["models"]["resvgg"]["stages"] == config["models"]["vgg"]["stages"]


class TestRunIdentity:
    def test_digest_ignores_operational_keys(self, smoke_config):
        """Threads, eval batch size, checkpoint cadence and divergence policy do not change the digest."""
        run = wdconfig.run_config(smoke_config, "vgg", "he", 0)
        other = dict(smoke_config, compute={**smoke_config["compute"], "threads": 7, "checkpoint_every": 3,
                                             "eval_batch_size": 17, "on_divergence": "fail"})
        assert wdconfig.run_config(other, "vgg", "he", 0).digest() == run.digest()
        assert wdconfig.run_config(other, "vgg", "he", 0).params() == run.params()

    def test_digest_tracks_training(self, smoke_config):
        """A recipe change, another seed or another precision changes the digest."""
        base = wdconfig.run_config(smoke_config, "vgg", "he", 0).digest()
        assert wdconfig.run_config(smoke_config, "vgg", "he", 1).digest() != base
        lr = wdconfig.merge(smoke_config, {"models": {"vgg": {"recipe": {"lr": 0.5}}}})
        assert wdconfig.run_config(lr, "vgg", "he", 0).digest() != base
        fp32 = wdconfig.merge(smoke_config, {"compute": {"precision": "fp32"}})
        assert wdconfig.run_config(fp32, "vgg", "he", 0).digest() != base

    def test_params_round_trip(self, smoke_config):
        """Params plus the compute section rebuild the same RunConfig."""
        run = wdconfig.run_config(smoke_config, "resvgg", "orthogonal", 1)
        assert wdconfig.RunConfig.from_params(run.params(), smoke_config["compute"]) == run

    def test_snapshot_epochs(self, smoke_config):
        """Snapshots always include 0 and the final epoch."""
        run = wdconfig.run_config(smoke_config, "vgg", "he", 0)
        assert run.snapshot_epochs() == (0, 1, 2)

    def test_layer_names_match_model(self, smoke_config):
        """The torch-free layer list the Snakefile uses equals the built model's layers."""
        from weightdist.models import build_model

        for name in ("resvgg", "vgg"):
            arch = wdconfig.architecture(smoke_config, name)
            built = build_model(arch).layers()
            for kind in ("conv", "bn", "shortcut", "fc"):
                assert arch.layer_names(kind) == [lay.name for lay in built if lay.kind == kind and
                                                  not lay.name.startswith("shortcut_bn")]
