"""Data: archive layout, verification, preparation and the on-device loader."""

from __future__ import annotations

import pickle
import tarfile

import numpy as np
import pytest
import torch

from weightdist import data as wddata


class TestSyntheticArchive:
    def test_official_layout(self, archive):
        """The archive loads like the official one: pickled dicts with uint8 (n, 3072) data and int labels."""
        with tarfile.open(archive) as tar:
            names = set(tar.getnames())
            assert set(wddata.MEMBERS) <= names
            batch = pickle.load(tar.extractfile("cifar-10-batches-py/data_batch_1"), encoding="bytes")
            meta = pickle.load(tar.extractfile("cifar-10-batches-py/batches.meta"), encoding="latin1")
        data = batch.get(b"data", batch.get("data"))
        labels = batch.get(b"labels", batch.get("labels"))
        assert data.dtype == np.uint8 and data.shape[1] == 3072 and len(labels) == data.shape[0]
        assert len(meta["label_names"]) == 10

    def test_reproducible(self, tmp_path):
        """Same arguments, same bytes (a stable md5 for the smoke config)."""
        a = wddata.write_synthetic_archive(tmp_path / "a.tar.gz", 3, 2, seed=5)
        b = wddata.write_synthetic_archive(tmp_path / "b.tar.gz", 3, 2, seed=5)
        c = wddata.write_synthetic_archive(tmp_path / "c.tar.gz", 3, 2, seed=6)
        assert a == b != c


class TestPrepare:
    def test_arrays(self, data):
        """Prepared arrays keep shapes, labels and class balance; mean/std are per channel."""
        assert data.train.images.shape == (200, 3, 32, 32) and data.train.images.dtype == torch.uint8
        assert data.test.images.shape == (100, 3, 32, 32)
        assert torch.bincount(data.train.labels, minlength=10).tolist() == [20] * 10
        assert data.mean.shape == (3,) and bool((data.std > 0).all())

    def test_pixels_survive(self, archive, data):
        """The first training image equals the archive's first row, reshaped to (3, 32, 32)."""
        with tarfile.open(archive) as tar:
            batch = pickle.load(tar.extractfile("cifar-10-batches-py/data_batch_1"), encoding="latin1")
        assert np.array_equal(batch["data"][0].reshape(3, 32, 32), data.train.images[0].numpy())

    def test_md5_mismatch(self, archive, tmp_path):
        """A wrong checksum names both checksums and how to set the checksum of a local archive."""
        with pytest.raises(wddata.DataError) as e:
            wddata.prepare(archive, tmp_path / "out.npz", "0" * 32)
        msg = str(e.value)
        assert "0" * 32 in msg and wddata.md5sum(archive) in msg and "data.md5" in msg
        assert not (tmp_path / "out.npz").exists()

    def test_counts_checked(self, archive, tmp_path):
        """An archive with other image counts than expected is refused."""
        with pytest.raises(wddata.DataError, match="200 train and 100 test images, expected 50000 and 10000"):
            wddata.prepare(archive, tmp_path / "out.npz", "skip", (50000, 10000))


class TestLoader:
    def loader(self, data, **kw):
        return wddata.DeviceLoader(data.train, 64, data.mean, data.std, seed=3, channels_last=False, **kw)

    def test_each_image_once(self, data):
        """One epoch visits every image exactly once, in a seeded order that changes with the epoch."""
        loader = self.loader(data, shuffle=True)
        labels = torch.cat([y for _, y in loader.epoch(1)])
        assert sorted(labels.tolist()) == sorted(data.train.labels.tolist())
        again = torch.cat([y for _, y in loader.epoch(1)])
        other = torch.cat([y for _, y in loader.epoch(2)])
        assert torch.equal(labels, again) and not torch.equal(labels, other)

    def test_normalisation(self, data):
        """Without augmentation a batch is (x/255 - mean)/std of the stored images."""
        x, _ = next(self.loader(data).epoch(0))
        expected = (data.train.images[:64].float() / 255 - data.mean.view(1, 3, 1, 1)) / data.std.view(1, 3, 1, 1)
        assert torch.allclose(x, expected, atol=1e-5)

    def test_crop_and_flip_per_image(self, data):
        """Each augmented image is a 32x32 window of its zero-padded original, maybe mirrored; offsets differ."""
        out = next(self.loader(data, crop_padding=4, flip=True).epoch(0))[0]
        padded = torch.nn.functional.pad(data.train.images[:64], (4, 4, 4, 4)).float()
        padded = (padded / 255 - data.mean.view(1, 3, 1, 1)) / data.std.view(1, 3, 1, 1)
        seen = set()
        for i in range(len(out)):
            matches = [(dy, dx, flip) for dy in range(9) for dx in range(9) for flip in (False, True)
                       if torch.allclose(out[i], (lambda w: w.flip(2) if flip else w)(
                           padded[i, :, dy:dy + 32, dx:dx + 32]), atol=1e-5)]
            assert matches, f"image {i} is not a crop of its padded original"
            seen.add(matches[0])
        assert len(seen) > 10   # drawn per image, not once per batch
