"""CIFAR-10 archives in, compact uint8 arrays out, and a loader that keeps them on the training device.

Archive: the official "python version" `cifar-10-python.tar.gz` (cifar-10-batches-py/data_batch_1..5, test_batch,
batches.meta; pickled dicts with `data` uint8 (n, 3072) as R, G, B planes and `labels` ints 0..9).
Prepared file (`.npz`, uncompressed so it loads in well under a second):
    train_images (N, 3, 32, 32) uint8    train_labels (N,) uint8
    test_images  (M, 3, 32, 32) uint8    test_labels  (M,) uint8
    label_names  (10,) str               mean, std (3,) float32, per channel on the 0..1 scale, from the train split
    source_md5   () str                  md5 of the archive it was made from
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import tarfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .fileio import atomic_path

OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
OFFICIAL_MD5 = "c58f30108f718f92721af3b95e74349a"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
MEMBERS = tuple(f"cifar-10-batches-py/{n}" for n in
                ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
                 "batches.meta"))


class DataError(ValueError):
    """An archive or prepared file is missing, corrupt or not CIFAR-10; the message says how to fix it."""


def md5sum(path: str | Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_md5(path: str | Path, expected: str) -> str:
    """Return the archive's md5; raise DataError if it differs from `expected` (unless expected is 'skip')."""
    actual = md5sum(path)
    if expected != "skip" and actual != expected:
        raise DataError(
            f"{path}: md5 checksum mismatch: expected {expected}, got {actual}.\n"
            f"  A download that ends like this is corrupt or incomplete: delete it and run again.\n"
            f"  For a local archive you trust (e.g. one rebuilt from the JPEG copy), put its own checksum in the "
            f"config: data.md5: {actual} (from 'md5sum {path}'), or data.md5: skip to not check it.")
    return actual


def download(url: str, dest: str | Path, expected_md5: str) -> None:
    """Download to a temporary name, verify, then move into place; a failed or corrupt download leaves nothing."""
    with atomic_path(dest) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=60) as r, open(tmp, "wb") as f:
                while chunk := r.read(1 << 20):
                    f.write(chunk)
        except OSError as e:
            raise DataError(f"could not download {url}: {e}.\n  Without internet access, make the archive "
                            f"elsewhere and set data.source: local and data.local_archive: <path> in the config."
                            ) from e
        verify_md5(tmp, expected_md5)


# ---------------------------------------------------------------------------------------------------------------------
# Reading archives


class _CifarUnpickler(pickle.Unpickler):
    """Unpickles only what CIFAR-10 batches hold (dicts, lists, strings, numbers, numpy uint8 arrays)."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a CIFAR-10 batch")
        return super().find_class(module, name)


def _unpickle(raw: bytes, member: str, archive: Path) -> dict:
    try:
        obj = _CifarUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except Exception as e:  # any unpickling failure means the member is not a CIFAR batch
        raise DataError(f"{archive}: member {member} is not a CIFAR-10 python batch ({e})") from e
    if not isinstance(obj, dict):
        raise DataError(f"{archive}: member {member} holds a {type(obj).__name__}, expected a dict")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _batch_arrays(batch: dict, member: str, archive: Path) -> tuple[np.ndarray, np.ndarray]:
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        desc = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{archive}: {member}: 'data' must be a uint8 array of shape (n, 3072), got {desc}")
    labels = np.asarray(labels)
    if labels.shape != (data.shape[0],):
        raise DataError(f"{archive}: {member}: {data.shape[0]} images but {labels.size} labels")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{archive}: {member}: labels must lie in 0..9, found {labels.min()}..{labels.max()}")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.uint8)


def read_archive(path: str | Path) -> dict[str, np.ndarray]:
    """Read a cifar-10-python.tar.gz into arrays; raise DataError on anything that is not that layout."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such archive")
    try:
        with open(path, "rb") as f:
            content = f.read()
        if content[:2] == b"\x1f\x8b":
            # decompress fully first: gzip's CRC is only checked at the end of the stream, which reading the tar
            # members alone may never reach, and a damaged member must not pass as data
            content = gzip.decompress(content)
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:") as tar:
            names = set(tar.getnames())
            missing = [m for m in MEMBERS if m not in names]
            if missing:
                raise DataError(f"{path} is not a CIFAR-10 python archive: it lacks {', '.join(missing)}. "
                                "Expected the official cifar-10-python.tar.gz layout "
                                "(cifar-10-batches-py/data_batch_1..5, test_batch, batches.meta).")
            raw = {m: tar.extractfile(m).read() for m in MEMBERS}
    except (tarfile.TarError, EOFError, zlib.error, OSError, gzip.BadGzipFile) as e:
        raise DataError(f"{path} cannot be read as a tar.gz archive ({type(e).__name__}: {e}); it is truncated or "
                        "not an archive. Delete it and download or rebuild it.") from e
    train = [_batch_arrays(_unpickle(raw[m], m, path), m, path) for m in MEMBERS[:5]]
    test_x, test_y = _batch_arrays(_unpickle(raw[MEMBERS[5]], MEMBERS[5], path), MEMBERS[5], path)
    meta = _unpickle(raw[MEMBERS[6]], MEMBERS[6], path)
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in meta.get("label_names", [])]
    if len(names) != 10:
        raise DataError(f"{path}: batches.meta must list 10 label_names, found {len(names)}")
    return {"train_images": np.concatenate([x for x, _ in train]),
            "train_labels": np.concatenate([y for _, y in train]),
            "test_images": test_x, "test_labels": test_y, "label_names": np.array(names)}


def prepare(archive: str | Path, out: str | Path, expected_md5: str,
            expected_counts: tuple[int, int] | None = None) -> dict:
    """Verify the archive, convert it to the prepared .npz (atomically) and return a summary."""
    source_md5 = verify_md5(archive, expected_md5)
    arrays = read_archive(archive)
    counts = (len(arrays["train_labels"]), len(arrays["test_labels"]))
    if expected_counts is not None and counts != tuple(expected_counts):
        raise DataError(f"{archive}: {counts[0]} train and {counts[1]} test images, expected "
                        f"{expected_counts[0]} and {expected_counts[1]}")
    for split in ("train", "test"):
        present = np.unique(arrays[f"{split}_labels"])
        if len(present) != 10:
            raise DataError(f"{archive}: the {split} split has images of {len(present)} classes, expected all 10")
    x = arrays["train_images"].astype(np.float64) / 255
    mean, std = x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))
    with atomic_path(out) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays, mean=mean.astype(np.float32), std=std.astype(np.float32), source_md5=np.array(source_md5))
    per_class = {split: np.bincount(arrays[f"{split}_labels"], minlength=10).tolist() for split in ("train", "test")}
    return {"archive": str(archive), "md5": source_md5, "train": counts[0], "test": counts[1],
            "per_class": per_class, "mean": mean.round(4).tolist(), "std": std.round(4).tolist()}


# ---------------------------------------------------------------------------------------------------------------------
# Synthetic archives for tests and the smoke config


def synthetic_arrays(n_per_class: int, rng: np.random.Generator, templates: np.ndarray) -> tuple[np.ndarray, list]:
    """Images of each class: its smooth colour template, shifted by a few pixels, rescaled in brightness, plus noise."""
    images, labels = [], []
    for c in range(10):
        for _ in range(n_per_class):
            dy, dx = rng.integers(-3, 4, size=2)
            img = np.roll(templates[c], (dy, dx), axis=(1, 2)) * rng.uniform(0.7, 1.3)
            img = img + rng.normal(0, 40, size=img.shape)
            images.append(np.clip(img, 0, 255).astype(np.uint8).reshape(-1))
            labels.append(c)
    order = rng.permutation(len(labels))
    return np.stack(images)[order], [labels[i] for i in order]


def write_synthetic_archive(path: str | Path, train_per_class: int, test_per_class: int, seed: int = 0) -> str:
    """Write a small learnable dataset in the official cifar-10-python.tar.gz layout; return its md5."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, size=(10, 3, 4, 4))
    templates = coarse.repeat(8, axis=2).repeat(8, axis=3)     # (10, 3, 32, 32), blocky class patterns
    train_x, train_y = synthetic_arrays(train_per_class, rng, templates)
    test_x, test_y = synthetic_arrays(test_per_class, rng, templates)
    splits = np.array_split(np.arange(len(train_y)), 5)
    with atomic_path(path) as tmp:
        # no name and mtime=0 in the gzip header, mtime=0 in tar headers: the same arguments give byte-identical
        # archives (a stable md5)
        with open(tmp, "wb") as raw_f, gzip.GzipFile(filename="", fileobj=raw_f, mode="wb", mtime=0) as gz, \
                tarfile.open(fileobj=gz, mode="w") as tar:
            def add(name: str, obj: dict) -> None:
                raw = pickle.dumps(obj, protocol=2)
                info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
                info.size, info.mode = len(raw), 0o644
                tar.addfile(info, io.BytesIO(raw))
            for b, idx in enumerate(splits, start=1):
                add(f"data_batch_{b}", {"batch_label": f"training batch {b} of 5", "data": train_x[idx],
                                        "labels": [train_y[i] for i in idx]})
            add("test_batch", {"batch_label": "testing batch 1 of 1", "data": test_x, "labels": test_y})
            add("batches.meta", {"label_names": list(CLASSES), "num_cases_per_batch": len(splits[0]), "num_vis": 3072})
        return md5sum(tmp)


# ---------------------------------------------------------------------------------------------------------------------
# Loading prepared data onto the device


@dataclass
class Split:
    images: torch.Tensor      # (N, 3, 32, 32) uint8, on the training device
    labels: torch.Tensor      # (N,) int64, on the training device


@dataclass
class PreparedData:
    train: Split
    test: Split
    mean: torch.Tensor        # (3,) float32
    std: torch.Tensor         # (3,) float32
    label_names: list[str]
    source_md5: str


def load_prepared(path: str | Path, device: torch.device | str = "cpu") -> PreparedData:
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zlib.error) as e:
        raise DataError(f"{path}: cannot read the prepared dataset ({e}). Rebuild it with: "
                        f"snakemake --cores 1 --forcerun prepare_dataset {path}") from e
    split = {s: Split(torch.from_numpy(arrays[f"{s}_images"]).to(device),
                      torch.from_numpy(arrays[f"{s}_labels"].astype(np.int64)).to(device)) for s in ("train", "test")}
    return PreparedData(train=split["train"], test=split["test"], mean=torch.from_numpy(arrays["mean"]),
                        std=torch.from_numpy(arrays["std"]), label_names=[str(n) for n in arrays["label_names"]],
                        source_md5=str(arrays["source_md5"]))


class DeviceLoader:
    """Batches from uint8 images kept on the device, augmented per image on that device (airbench style).

    Each epoch draws its permutation, crop offsets and flips from a generator seeded by (seed, epoch), so any epoch
    can be replayed exactly, which is what makes a resumed run identical to an uninterrupted one.
    """

    def __init__(self, split: Split, batch_size: int, mean: torch.Tensor, std: torch.Tensor, *, seed: int = 0,
                 shuffle: bool = False, crop_padding: int = 0, flip: bool = False, channels_last: bool = True):
        self.images, self.labels = split.images, split.labels
        self.device = self.images.device
        self.batch_size, self.seed, self.shuffle = batch_size, seed, shuffle
        self.pad, self.flip, self.channels_last = crop_padding, flip, channels_last
        if self.pad:   # pad once; each batch then gathers its crops from the padded copy
            self.images = torch.nn.functional.pad(self.images, (self.pad,) * 4)
        # normalise as x * scale + shift on the 0..255 scale, per channel
        self.scale = (1 / (255 * std)).to(self.device).view(1, 3, 1, 1)
        self.shift = (-mean / std).to(self.device).view(1, 3, 1, 1)
        self.arange = torch.arange(32, device=self.device)

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    def _crop(self, x: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """Per-image 32x32 crops of padded images x (B, 3, 32+2p, 32+2p) at offsets (B, 2)."""
        rows = (offsets[:, 0:1] + self.arange)[:, None, :, None]          # (B, 1, 32, 1)
        cols = (offsets[:, 1:2] + self.arange)[:, None, None, :]          # (B, 1, 1, 32)
        b = torch.arange(len(x), device=self.device)[:, None, None, None]
        c = torch.arange(3, device=self.device)[None, :, None, None]
        return x[b, c, rows, cols]

    def epoch(self, epoch: int = 0):
        """Yield (images float32 normalised (B, 3, 32, 32), labels (B,)) for one pass."""
        from .config import derive_seed

        n = len(self.labels)
        g = torch.Generator().manual_seed(derive_seed(self.seed, "data", epoch))
        order = torch.randperm(n, generator=g) if self.shuffle else torch.arange(n)
        offsets = torch.randint(0, 2 * self.pad + 1, (n, 2), generator=g) if self.pad else None
        flips = torch.rand(n, generator=g) < 0.5 if self.flip else None
        order = order.to(self.device)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            x = self.images[idx]
            if offsets is not None:
                x = self._crop(x, offsets[start:start + self.batch_size].to(self.device))
            if flips is not None:
                x = torch.where(flips[start:start + self.batch_size].to(self.device).view(-1, 1, 1, 1), x.flip(3), x)
            x = x.float() * self.scale + self.shift
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, self.labels[idx]
