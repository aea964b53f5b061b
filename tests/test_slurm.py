"""The smoke study on a real one-node SLURM cluster through profiles/slurm: submitted as sized, same results as locally.

tests/slurm/cluster.sh starts munge, slurmctld and slurmd on this machine (root, Debian's slurm packages; the test
skips without them). The study is a reduced smoke grid (1 seed, 2 inits: 4 runs, 14 SLURM jobs), run once through
`--profile profiles/slurm --profile tests/slurm/profile` and once through `--profile profiles/local`, each in its own
scratch copy of the workflow with the same configs. About 5 minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import REPO, UNREACHABLE_SLURM, copy_workflow, default_sigint, snakemake

pytestmark = pytest.mark.slow

CLUSTER = REPO / "tests/slurm/cluster.sh"
OVERLAY = REPO / "tests/slurm/profile"
SLURM_LIMIT_S = 480           # the SLURM run is stopped (SIGINT: Snakemake cancels its jobs) after this long
# The smoke config, reduced: 1 seed x 2 inits x 2 models. train's memory and runtime come from the config, through
# the workflow, to sbatch: checked below.
CONFIG = """\
grid: {inits: [default, he], seeds: [0]}
experiments:
  b: {model: vgg, inits: [default, he]}
resources: {train_mem_mb: 1000, train_minutes_per_epoch: 1}
"""
CONFIGS = ("--configfile", "config/smoke.yaml", "config/slurm-test.yaml")
CLUSTER_JOBS = {"prepare_dataset": 1, "train": 4, "layer_stats": 4, "measure_run": 4, "compare_groups": 1}
GPU_RULES = {"train", "measure_run"}


def skip_reason() -> str | None:
    missing = [c for c in ("slurmctld", "slurmd", "sbatch", "munged") if shutil.which(c) is None]
    if missing:
        return (f"SLURM is not installed ({', '.join(missing)} missing); tests/system-deps.sh installs slurmctld, "
                "slurmd, slurm-client and munge")
    if os.geteuid() != 0:
        return "the one-node SLURM cluster (tests/slurm/cluster.sh) runs its daemons as root"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed (pip install -e '.[slurm]')"
    return None


if skip_reason():
    pytestmark = [pytest.mark.slow, pytest.mark.skip(reason=skip_reason())]


def cluster_sh(action: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(CLUSTER), action], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"cluster.sh {action} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def cluster():
    """A running one-node cluster; every daemon it started is stopped afterwards, also when something fails."""
    t0 = time.monotonic()
    ok = False
    restore = os.environ.get("SLURM_CONF")
    if restore == str(UNREACHABLE_SLURM):
        del os.environ["SLURM_CONF"]            # this cluster's daemons, sbatch and Snakemake use /etc/slurm
    try:
        cluster_sh("start")
        print(f"\ncluster started in {time.monotonic() - t0:.1f} s")
        yield
        ok = True
    finally:
        stop = subprocess.run([str(CLUSTER), "stop"], capture_output=True, text=True, timeout=120)
        if stop.returncode != 0:
            message = f"cluster.sh stop failed ({stop.returncode}):\n{stop.stdout}\n{stop.stderr}"
            if ok:
                raise AssertionError(message)
            print(message, file=sys.stderr)     # do not hide the error that is on its way
        if restore is not None:
            os.environ["SLURM_CONF"] = restore


def job_records(workdir: Path) -> list[dict[str, str]]:
    """SLURM's record of every job submitted from workdir (kept MinJobAge=600 s after it ends)."""
    out = subprocess.run(["scontrol", "-o", "show", "job"], capture_output=True, text=True, check=True).stdout
    records = [dict(re.findall(r"(\w+)=(\S*)", line)) for line in out.splitlines() if line.strip()]
    return [r for r in records if r.get("WorkDir") == str(workdir)]


def rule_of(record: dict[str, str]) -> str:
    """The rule from the plugin's job comment, e.g. rule_train_wildcards_vgg_he_0 -> train."""
    return re.sub(r"^rule_|_wildcards_.*$", "", record["Comment"])


def scratch(root: Path) -> Path:
    wd = copy_workflow(root)
    (wd / "config/slurm-test.yaml").write_text(CONFIG)
    return wd


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """(SLURM workdir, local workdir, SLURM job records): the same study run both ways, in copies made together."""
    on_slurm, local = scratch(tmp_path_factory.mktemp("slurm")), scratch(tmp_path_factory.mktemp("local"))
    t0 = time.monotonic()
    cmd = ["timeout", "-s", "INT", "-k", "60", str(SLURM_LIMIT_S), sys.executable, "-m", "snakemake",
           "--profile", "profiles/slurm", "--profile", str(OVERLAY), *CONFIGS]
    proc = subprocess.run(cmd, cwd=on_slurm, capture_output=True, text=True, timeout=SLURM_LIMIT_S + 90,
                          preexec_fn=default_sigint)
    slurm_s = time.monotonic() - t0
    log = (proc.stdout + proc.stderr)[-6000:]
    if proc.returncode == 124:
        raise AssertionError(f"the SLURM run took over {SLURM_LIMIT_S} s and was interrupted:\n{log}")
    assert proc.returncode == 0, f"the SLURM run failed ({proc.returncode}):\n{log}"
    records = job_records(on_slurm)
    t0 = time.monotonic()
    snakemake(local, "--profile", "profiles/local", *CONFIGS)
    print(f"\nsmoke study (4 runs): SLURM {slurm_s:.0f} s, local {time.monotonic() - t0:.0f} s")
    return on_slurm, local, records


def files(workdir: Path) -> set[str]:
    return {p.relative_to(workdir).as_posix() for p in (workdir / "results").rglob("*") if p.is_file()}


class TestSubmission:
    def test_cluster_jobs(self, runs):
        """Exactly the non-local rules went to SLURM, one job per rule instance, and all completed."""
        records = runs[2]
        counts = {}
        for r in records:
            counts[rule_of(r)] = counts.get(rule_of(r), 0) + 1
        assert counts == CLUSTER_JOBS
        assert {r["JobState"] for r in records} == {"COMPLETED"}

    def test_gpu_requests(self, runs):
        """train and measure_run asked for one GPU (the profile's request; smoke trains on the CPU), no other rule."""
        for r in runs[2]:
            expected = "gres:gpu:1" if rule_of(r) in GPU_RULES else None
            assert r.get("TresPerJob") == expected, r["Comment"]

    def test_train_sized_by_workflow(self, runs):
        """train's memory and time limit are the workflow's, from the config (1000 MB; 10 + 2 epochs x 1 min)."""
        train = [r for r in runs[2] if rule_of(r) == "train"]
        assert {(r["MinMemoryNode"], r["TimeLimit"], r["NumCPUs"]) for r in train} == {("1000M", "00:12:00", "1")}


class TestSameResults:
    def test_same_files(self, runs):
        """Both runs produced the same set of output files."""
        on_slurm, local, _ = runs
        assert files(on_slurm) == files(local)
        assert len(files(on_slurm)) > 20

    def test_same_weights(self, runs):
        """Each run's final snapshot is bitwise equal: every parameter and buffer, same dtype and shape."""
        on_slurm, local, _ = runs
        weights = sorted(p for p in files(on_slurm) if p.endswith("/weights.h5"))
        assert len(weights) == 4
        for path in weights:
            with h5py.File(on_slurm / path, "r") as a, h5py.File(local / path, "r") as b:
                last = sorted(a["epochs"])[-1]
                assert last == sorted(b["epochs"])[-1] == "002"
                ga, gb = a["epochs"][last], b["epochs"][last]
                assert sorted(ga) == sorted(gb) and len(ga) > 0
                for name in ga:
                    x, y = ga[name][()], gb[name][()]
                    assert x.dtype == y.dtype and x.shape == y.shape, f"{path} {name}"
                    assert x.tobytes() == y.tobytes(), f"{path} /epochs/{last}/{name} differs"

    def test_same_accuracy(self, runs):
        """Each run's final test accuracy is the same, and both trained on the CPU."""
        on_slurm, local, _ = runs
        for path in sorted(p for p in files(on_slurm) if p.endswith("/metrics.json")):
            a = json.loads((on_slurm / path).read_text())
            b = json.loads((local / path).read_text())
            assert a["test_acc"] == b["test_acc"], path
            assert a["device"] == b["device"] == "cpu"
            assert np.isfinite(a["test_acc"])
