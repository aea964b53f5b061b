"""The HDF5 weight file: documented layout readable with plain h5py, equal to the trained model."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch
from conftest import run_config

from weightdist import train as wdtrain
from weightdist.weights import WeightFile, WeightFileError, write_weights


@pytest.fixture(scope="module")
def trained(smoke_config, data, tmp_path_factory):
    run = run_config(smoke_config, "resvgg", "he", 0)
    result = wdtrain.train(run, data, log=lambda s: None)
    path = tmp_path_factory.mktemp("w") / "weights.h5"
    write_weights(path, run, result)
    return run, result, path


class TestLayout:
    def test_plain_h5py(self, trained):
        """Root attributes, /epochs/NNN groups and per-parameter datasets with layer/kind attributes."""
        run, result, path = trained
        with h5py.File(path, "r") as f:
            assert f.attrs["format"] == "weightdist-weights" and f.attrs["model"] == "resvgg"
            assert f.attrs["init"] == "he" and f.attrs["seed"] == 0 and f.attrs["status"] == "completed"
            assert f.attrs["test_accuracy"] == result.final["test_acc"]
            assert f.attrs["config_digest"] == run.digest()
            assert json.loads(f.attrs["config_json"])["recipe"]["epochs"] == run.recipe.epochs
            for key in ("torch_version", "h5py_version", "numpy_version", "weightdist_version", "python_version"):
                assert f.attrs[key]
            assert sorted(f["epochs"]) == ["000", "001", "002"]
            final = f["epochs/002"]
            assert final["conv1.weight"].dtype == np.float32
            kinds = {k: final[k].attrs["kind"] for k in final}
            assert kinds["conv1.weight"] == "conv" and kinds["bn1.weight"] == "bn"
            assert kinds["shortcut1.weight"] == "shortcut" and kinds["shortcut_bn1.weight"] == "bn"
            assert kinds["fc3.bias"] == "fc"
            assert final["fc2.weight"].attrs["layer"] == "fc2"
            assert not final["bn1.running_var"].attrs["parameter"] and final["bn1.weight"].attrs["parameter"]

    def test_final_equals_model(self, smoke_config, data, trained):
        """The last snapshot equals the trained model's state_dict exactly; the first equals the initial model."""
        run, result, path = trained
        model = wdtrain.make_model(run)
        with h5py.File(path, "r") as f:
            for key, value in model.state_dict().items():
                if value.is_floating_point():
                    assert np.array_equal(f[f"epochs/000/{key}"][()], value.numpy()), key
            final = {k: torch.from_numpy(f[f"epochs/002/{k}"][()]) for k in f["epochs/002"]}
        model.load_state_dict(final, strict=False)
        loaded = {k: v.numpy() for k, v in model.state_dict().items() if v.is_floating_point()}
        assert all(np.array_equal(loaded[k], result.snapshots[2][k]) for k in loaded)
        # and the reloaded model reproduces the recorded test loss
        loss, acc = wdtrain.evaluate(model, wdtrain.DeviceLoader(data.test, 100, data.mean, data.std,
                                                                 channels_last=False), torch.device("cpu"), "bf16")
        assert acc == pytest.approx(result.final["test_acc"], abs=0.02)


class TestReader:
    def test_entries_in_forward_order(self, trained):
        """Entries come in forward order, weight before bias."""
        _, _, path = trained
        with WeightFile(path) as wf:
            keys = [k for k, _ in wf.entries()]
        assert keys[:3] == ["conv1.weight", "bn1.weight", "bn1.bias"] and keys[-2:] == ["fc3.weight", "fc3.bias"]

    @pytest.mark.parametrize("damage", ["truncate", "garbage", "empty_file"])
    def test_damaged_file(self, trained, tmp_path, damage):
        """A damaged file gives an error naming the file and the command that rebuilds it."""
        _, _, path = trained
        bad = tmp_path / "weights.h5"
        raw = path.read_bytes()
        bad.write_bytes({"truncate": raw[: len(raw) // 3], "garbage": b"\x00garbage" * 100, "empty_file": b""}[damage])
        with pytest.raises(WeightFileError) as e:
            with WeightFile(bad) as wf:
                wf.state()
        assert str(bad) in str(e.value) and "snakemake --cores 1 --force" in str(e.value)
