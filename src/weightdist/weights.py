"""The weight file (`weights.h5`) of one run: layout, writer and reader.

Layout (plain HDF5, readable with h5py alone):

    /                         attributes: format ("weightdist-weights"), format_version (1), model, init, seed,
                              status ("completed" | "diverged"), dataset (id of the training images: archive md5),
                              epochs (configured), final_epoch (last completed), test_accuracy, test_loss (at
                              final_epoch), config_digest, config_json (the full run config), device, precision,
                              wall_time_s, created (UTC ISO time), divergence_json ("" unless diverged), and the
                              versions of python, torch, numpy, h5py and weightdist
    /epochs/000               the weights at initialisation; attributes epoch, test_accuracy, test_loss
    /epochs/NNN               the weights after epoch NNN (zero-padded to 3 digits); the last group is the final model
    /epochs/NNN/<key>         one float32 dataset per float entry of the model's state_dict, named by its key
                              ("conv1.weight", "bn1.running_var", "fc3.bias", ...), with attributes
                              layer ("conv1"), kind ("conv" | "bn" | "shortcut" | "fc"), parameter (true for
                              trained parameters, false for BN running statistics) and order (forward position)
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import h5py
import numpy as np

from . import __version__
from .config import RunConfig
from .fileio import CorruptFileError, atomic_path, rebuild_hint
from .layers import kind_of, layer_of

FORMAT = "weightdist-weights"
FORMAT_VERSION = 1


class WeightFileError(CorruptFileError):
    """A weight file is unreadable, truncated or not in the documented layout."""


# h5py reports damaged files through several exception types
H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError)


def versions() -> dict[str, str]:
    import torch

    return {"python_version": platform.python_version(), "torch_version": str(torch.__version__),
            "numpy_version": np.__version__, "h5py_version": h5py.__version__, "weightdist_version": __version__}


def write_weights(path: str | Path, run: RunConfig, result) -> None:
    """Write a run's snapshots and provenance to `path`, atomically."""
    order = {info.name: info.order for info in result.layers}
    by_epoch = {h["epoch"]: h for h in result.history}
    final = result.history[-1]
    attrs = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "model": run.model, "init": run.init, "seed": run.seed,
        "status": result.status, "dataset": run.data_md5, "epochs": run.recipe.epochs,
        "final_epoch": final["epoch"], "test_accuracy": final["test_acc"], "test_loss": final["test_loss"],
        "config_digest": run.digest(), "config_json": json.dumps(run.to_dict(), sort_keys=True),
        "device": result.device, "precision": result.precision, "wall_time_s": result.wall_time_s,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "divergence_json": json.dumps(result.divergence) if result.divergence else "", **versions()}
    # libver v110: object headers and the superblock carry checksums too (readable by HDF5 1.10 and newer)
    with atomic_path(path) as tmp, h5py.File(tmp, "w", libver=("v110", "latest")) as f:
        f.attrs.update(attrs)
        for epoch, state in sorted(result.snapshots.items()):
            g = f.create_group(f"epochs/{epoch:03d}")
            g.attrs.update({"epoch": epoch, "test_accuracy": by_epoch[epoch]["test_acc"],
                            "test_loss": by_epoch[epoch]["test_loss"]})
            for key, value in state.items():
                layer = layer_of(key)
                # fletcher32: a checksum per chunk, so a damaged file fails loudly instead of reading wrong numbers
                d = g.create_dataset(key, data=np.asarray(value, dtype=np.float32), fletcher32=True)
                d.attrs.update({"layer": layer, "kind": kind_of(layer), "order": order.get(layer, -1),
                                "parameter": not key.endswith(("running_mean", "running_var"))})


class WeightFile:
    """Read access to one weight file, with errors that name the file and the command that rebuilds it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.size = self.path.stat().st_size
            self.f = h5py.File(self.path, "r")
            self.attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in self.f.attrs.items()}
            self.epochs = sorted(int(k) for k in self.f["epochs"])
        except H5_ERRORS as e:
            self.close()
            raise WeightFileError(f"{self.path}: not a readable weight file ({type(e).__name__}: {e}); "
                                  f"{rebuild_hint(self.path)}") from e
        if self.attrs.get("format") != FORMAT or not self.epochs:
            self.close()
            raise WeightFileError(f"{self.path}: not in the {FORMAT} layout (format attribute "
                                  f"{self.attrs.get('format')!r}, {len(self.epochs)} snapshots); "
                                  f"{rebuild_hint(self.path)}")

    def close(self) -> None:
        if getattr(self, "f", None) is not None:
            self.f.close()
            self.f = None

    def __enter__(self) -> "WeightFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def final_epoch(self) -> int:
        return self.epochs[-1]

    def entries(self, epoch: int | None = None, parameters_only: bool = True) -> list[tuple[str, dict]]:
        """[(key, attrs)] of one snapshot in forward order."""
        g = self._group(epoch)
        try:
            out = [(k, dict(g[k].attrs)) for k in g]
            out = [(k, a) for k, a in out if {"layer", "kind", "order", "parameter"} <= set(a)]
        except H5_ERRORS as e:
            raise WeightFileError(f"{self.path}: damaged snapshot {epoch} ({type(e).__name__}: {e}); "
                                  f"{rebuild_hint(self.path)}") from e
        if parameters_only:
            out = [(k, a) for k, a in out if a["parameter"]]
        return sorted(out, key=lambda t: (int(t[1]["order"]), not t[0].endswith(".weight"), t[0]))

    def read(self, key: str, epoch: int | None = None) -> np.ndarray:
        try:
            d = self._group(epoch)[key]
            # the file is uncompressed: a dataset claiming more bytes than the file holds has a damaged header,
            # and reading it would try to allocate that much
            if d.dtype != np.float32 or d.size * 4 > self.size:
                raise WeightFileError(f"{self.path}: {key} at epoch {epoch} has a damaged header ({d.dtype}, "
                                      f"shape {d.shape}); {rebuild_hint(self.path)}")
            return d[()]
        except H5_ERRORS as e:
            raise WeightFileError(f"{self.path}: cannot read {key} at epoch {epoch} ({e}); "
                                  f"{rebuild_hint(self.path)}") from e

    def state(self, epoch: int | None = None) -> dict[str, np.ndarray]:
        """Every float state_dict entry of one snapshot (default: the final one)."""
        return {k: self.read(k, epoch) for k, _ in self.entries(epoch, parameters_only=False)}

    def _group(self, epoch: int | None):
        epoch = self.final_epoch if epoch is None else epoch
        if epoch not in self.epochs:
            raise WeightFileError(f"{self.path}: no snapshot at epoch {epoch}; it has {self.epochs}")
        try:
            return self.f[f"epochs/{epoch:03d}"]
        except H5_ERRORS as e:
            raise WeightFileError(f"{self.path}: damaged snapshot {epoch} ({type(e).__name__}: {e}); "
                                  f"{rebuild_hint(self.path)}") from e
