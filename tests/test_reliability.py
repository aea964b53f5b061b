"""Faults injected on purpose: bad configs, damaged archives and weight files, divergence, interrupts."""

from __future__ import annotations

import copy
import json
import os
import random
import signal

import numpy as np
import pytest
from conftest import REPO, SCHEMA, copy_workflow, one_run_workflow, run_config, snakemake, start_until_checkpoint

from weightdist import config as wdconfig
from weightdist import data as wddata
from weightdist import train as wdtrain
from weightdist.weights import WeightFile, WeightFileError, write_weights

SMOKE = REPO / "config/smoke.yaml"


def check(config: dict) -> None:
    wdconfig.validate_schema(config, SCHEMA)
    wdconfig.check_config(config)


class TestConfigErrors:
    CASES = [
        # (change, words the message must contain)
        ({"data": {"sourse": "local"}}, ["unknown key", "'sourse'", "under 'data'", "allowed keys", "source"]),
        ({"typo_top": 1}, ["unknown key", "'typo_top'", "top level"]),
        ({"grid": {"models": ["resnet"]}}, ["grid.models.0", "'resnet'", "resvgg, vgg"]),
        ({"grid": {"inits": ["kaiming"]}}, ["grid.inits.0", "'kaiming'", "default, he, xavier, orthogonal"]),
        ({"grid": {"seeds": []}}, ["grid.seeds", "too short", "at least 1"]),
        ({"grid": {"models": []}}, ["grid.models", "too short"]),
        ({"models": {"vgg": {"recipe": {"epochs": -1}}}}, ["models.vgg.recipe.epochs", "-1", ">= 1"]),
        ({"models": {"vgg": {"recipe": {"batch_size": 0}}}}, ["models.vgg.recipe.batch_size", "0", ">= 1"]),
        ({"models": {"vgg": {"recipe": {"lr": "fast"}}}}, ["models.vgg.recipe.lr", "'fast'", "wrong type", "number"]),
        ({"models": {"resvgg": {"recipe": {"epochs": 1.5}}}}, ["models.resvgg.recipe.epochs", "1.5", "integer"]),
        ({"snapshots": [5]}, ["snapshots", "[5]", "beyond the last epoch", "epochs", "1 to 2"]),
        ({"compute": {"device": "tpu"}}, ["compute.device", "'tpu'", "auto, cpu, cuda"]),
        ({"data": {"md5": "abc"}}, ["data.md5", "'abc'"]),
        ({"data": {"source": "local", "local_archive": None}}, ["data.local_archive", "source"]),
        ({"data": {"source": "local", "local_archive": "/nonexistent/a.tar.gz"}}, ["/nonexistent/a.tar.gz",
                                                                                  "does not exist"]),
        ({"data": {"source": "download", "md5": "skip"}}, ["data.md5", "skip", "local archive"]),
        ({"experiments": {"b": {"inits": ["he", "he"]}}}, ["experiments.b.inits", "unique"]),
        ({"experiments": {"a": {"later_conv": 9}}}, ["experiments.a.later_conv", "9", "1..4"]),
        ({"grid": {"inits": ["he"]}}, ["experiments.a.init", "does not train"]),
        ({"plots": {"formats": ["jpg"]}}, ["plots.formats.0", "'jpg'", "png, pdf, svg"]),
    ]

    @pytest.mark.parametrize("change,words", CASES, ids=[str(i) for i in range(len(CASES))])
    def test_named_in_message(self, smoke_config, change, words):
        """Each bad value is refused with a message that names the key, the value and what is allowed."""
        bad = wdconfig.merge(smoke_config, change)
        with pytest.raises(wdconfig.ConfigError) as e:
            check(bad)
        for w in words:
            assert w in str(e.value), (w, str(e.value))

    def test_fuzz(self, smoke_config):
        """Hundreds of random mutations: each is valid or refused with a ConfigError, never another exception."""
        rng = random.Random(0)
        leaves = []

        def walk(node, path):
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(v, path + [k])
            else:
                leaves.append(path)

        walk(smoke_config, [])
        junk = [None, -3, 0, 2.5, "x", [], {}, True, [1, "a"], {"k": 1}, 10 ** 9]
        refused = 0
        for _ in range(400):
            bad = copy.deepcopy(smoke_config)
            path = rng.choice(leaves)
            node = bad
            for k in path[:-1]:
                node = node[k]
            action = rng.random()
            if action < 0.15:
                del node[path[-1]]
            elif action < 0.25:
                node[path[-1] + "_typo"] = node[path[-1]]
            else:
                node[path[-1]] = rng.choice(junk)
            try:
                check(bad)
            except wdconfig.ConfigError as e:
                refused += 1
                assert str(e).startswith("invalid configuration") and "\n  - " in str(e)
        assert refused > 300

    def test_cli_refuses_before_work(self, tmp_path):
        """Through Snakemake: a bad config stops at once with the message, nothing under results/ is created."""
        wd = copy_workflow(tmp_path)
        (wd / "config/bad.yaml").write_text("models: {vgg: {recipe: {epochs: -1}}}\n")
        proc = snakemake(wd, "--cores", "1", "--configfile", "config/smoke.yaml", "config/bad.yaml", check=False)
        assert proc.returncode != 0
        assert "'models.vgg.recipe.epochs' = -1 is out of range; it must be >= 1" in proc.stdout + proc.stderr
        assert not (wd / "results").exists() or not any((wd / "results").iterdir())


def damaged_copies(raw: bytes, rng: random.Random, n: int) -> list[tuple[str, bytes]]:
    """Truncations at many points, runs of flipped bytes, zeroed blocks, garbage."""
    out = [("empty", b""), ("garbage", bytes(rng.randrange(256) for _ in range(4096)))]
    for i in range(n):
        kind = i % 3
        if kind == 0:
            cut = rng.randrange(1, len(raw))
            out.append((f"truncated at {cut}", raw[:cut]))
        elif kind == 1:
            b = bytearray(raw)
            for _ in range(rng.randrange(1, 4)):
                j = rng.randrange(len(b))
                b[j] ^= 1 << rng.randrange(8)
            out.append(("bit flips", bytes(b)))
        else:
            b = bytearray(raw)
            j = rng.randrange(len(b))
            b[j:j + 64] = bytes(64)
            out.append((f"zeroed at {j}", bytes(b)))
    return out


class TestDamagedArchives:
    def test_fuzz(self, archive, prepared, tmp_path):
        """Damaged archives get a DataError (or, where the damage missed the content, the same arrays), and an
        existing prepared file is never changed by a failed attempt."""
        good = prepared.read_bytes()
        out = tmp_path / "cifar10.npz"
        out.write_bytes(good)
        reference = wddata.read_archive(archive)
        rng = random.Random(1)
        errors = 0
        for name, raw in damaged_copies(archive.read_bytes(), rng, 60):
            bad = tmp_path / "bad.tar.gz"
            bad.write_bytes(raw)
            try:
                wddata.prepare(bad, out, "skip")
            except wddata.DataError as e:
                errors += 1
                assert str(bad) in str(e), name
                assert out.read_bytes() == good, name
                continue
            arrays = wddata.read_archive(bad)      # accepted: the damage must have missed the content
            assert all(np.array_equal(arrays[k], reference[k]) for k in reference), name
            out.write_bytes(good)
        assert errors > 50
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]

    def test_not_cifar(self, tmp_path):
        """A tar.gz without the CIFAR members names what is missing and what is expected."""
        import tarfile

        path = tmp_path / "other.tar.gz"
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo("readme.txt")
            tar.addfile(info)
        with pytest.raises(wddata.DataError, match="is not a CIFAR-10 python archive.*data_batch_1"):
            wddata.read_archive(path)

    def test_hostile_pickle(self, tmp_path):
        """A batch that would run code when unpickled is refused, not executed."""
        import io
        import pickle
        import tarfile

        class Evil:
            def __reduce__(self):
                return (os.system, ("echo pwned",))

        path = tmp_path / "evil.tar.gz"
        with tarfile.open(path, "w:gz") as tar:
            for m in wddata.MEMBERS:
                raw = pickle.dumps(Evil(), protocol=2)
                info = tarfile.TarInfo(m)
                info.size = len(raw)
                tar.addfile(info, io.BytesIO(raw))
        with pytest.raises(wddata.DataError, match="not a CIFAR-10 python batch"):
            wddata.read_archive(path)


class TestDamagedWeights:
    def test_fuzz(self, smoke_config, data, tmp_path):
        """Damaged weight files raise WeightFileError naming the file and the rebuild command, or (damage in unused
        bytes) read back exactly; per-chunk checksums keep wrong numbers from being read silently."""
        run = run_config(smoke_config, "resvgg", "he", 0)
        good = tmp_path / "weights.h5"
        write_weights(good, run, wdtrain.train(run, data, log=lambda s: None))
        with WeightFile(good) as wf:
            reference = {e: wf.state(e) for e in wf.epochs}
        rng = random.Random(2)
        errors = 0
        for name, raw in damaged_copies(good.read_bytes(), rng, 90):
            bad = tmp_path / "bad.h5"
            bad.write_bytes(raw)
            try:
                with WeightFile(bad) as wf:
                    got = {e: wf.state(e) for e in wf.epochs}
            except WeightFileError as e:
                errors += 1
                assert str(bad) in str(e) and "snakemake --cores 1 --force" in str(e), name
                continue
            assert got.keys() == reference.keys(), name
            for e in got:
                assert got[e].keys() == reference[e].keys(), name
                assert all(np.array_equal(got[e][k], reference[e][k]) for k in got[e]), name
        assert errors > 40


@pytest.mark.slow
class TestDagFaults:
    def test_checksum_mismatch(self, tmp_path, archive):
        """A local archive with the wrong md5 stops the data rule with both checksums; no prepared file exists."""
        wd = copy_workflow(tmp_path)
        wrong = "0" * 32
        (wd / "config/local.yaml").write_text(f"data: {{source: local, local_archive: {archive}, md5: '{wrong}'}}\n")
        proc = snakemake(wd, "results/data/cifar10.npz", "--cores", "1", "--configfile", "config/smoke.yaml",
                         "config/local.yaml", check=False)
        assert proc.returncode != 0
        log = (wd / "logs/data/prepare_dataset.log").read_text()
        assert "0" * 32 in log and wddata.md5sum(archive) in log and "data.md5" in log
        assert "Traceback" not in log
        assert not (wd / "results/data/cifar10.npz").exists()

    def test_divergence_goes_on(self, tmp_path):
        """Runs that diverge are recorded as such and the DAG completes; tables count them as diverged."""
        wd = copy_workflow(tmp_path)
        (wd / "config/diverge.yaml").write_text(
            "grid: {seeds: [0], inits: [default, he]}\n"
            "experiments: {a: {init: he}, b: {inits: [default, he]}}\n"
            "models: {vgg: {recipe: {lr: 1.0e+6}}}\n")
        snakemake(wd, "--cores", "2", "--configfile", "config/smoke.yaml", "config/diverge.yaml")
        metrics = json.loads((wd / "results/runs/vgg/he/seed0/metrics.json").read_text())
        assert metrics["status"] == "diverged" and metrics["divergence"]["epoch"] == 1
        import pandas as pd

        runs = pd.read_csv(wd / "results/stats/runs.tsv", sep="\t")
        assert set(runs[runs.model == "vgg"].status) == {"diverged"}
        assert set(runs[runs.model == "resvgg"].status) == {"completed"}
        acc = pd.read_csv(wd / "results/tables/accuracy.tsv", sep="\t")
        assert acc[acc.model == "vgg"].diverged.tolist() == [1, 1]
        assert "| 1 (1) |" in (wd / "results/tables/accuracy.md").read_text()

    def test_interrupt_and_continue(self, tmp_path):
        """Ctrl-C during a run leaves nothing Snakemake takes as complete; the next run resumes the training
        from its checkpoint and finishes."""
        wd, args = one_run_workflow(tmp_path, epochs=10)
        proc = start_until_checkpoint(wd, args)
        ckpt = wd / "results/runs/vgg/he/seed0/checkpoint.pt"
        os.killpg(proc.pid, signal.SIGINT)            # Ctrl-C reaches the whole foreground process group
        proc.wait(timeout=120)
        assert not (wd / "results/runs/vgg/he/seed0/weights.h5").exists()
        assert not (wd / "results/runs/vgg/he/seed0/metrics.json").exists()
        assert ckpt.exists()
        snakemake(wd, "--cores", "1", "--rerun-incomplete", *args)
        log = (wd / "results/runs/vgg/he/seed0/train.log").read_text()
        assert "resumed from the checkpoint after epoch" in log
        assert (wd / "results/runs/vgg/he/seed0/weights.h5").exists() and not ckpt.exists()
