"""Preemption: a training job killed with SIGKILL and started again ends bitwise equal to an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest
from conftest import REPO, one_run_workflow, run_config, snakemake, start_until_checkpoint

from weightdist import train as wdtrain


def wait_for(path, proc, timeout=300):
    deadline = time.time() + timeout
    while not path.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    return path.exists()


def final_arrays(path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        last = sorted(f["epochs"])[-1]
        return {k: f[f"epochs/{last}/{k}"][()] for k in f[f"epochs/{last}"]}


class TestKilledJob:
    def test_sigkill_then_restart(self, smoke_config, data, prepared, tmp_path):
        """SIGKILL after the first checkpoint, restart: the resumed run's weights equal an uninterrupted run's."""
        run = run_config(smoke_config, "resvgg", "orthogonal", 1, epochs=8)
        (tmp_path / "run.json").write_text(json.dumps({"params": run.params(), "compute": smoke_config["compute"]}))
        code = textwrap.dedent(f"""
            import json, sys
            sys.path.insert(0, {str(REPO / 'src')!r})
            from weightdist.pipeline import job_logger, train_run
            spec = json.load(open({str(tmp_path / 'run.json')!r}))
            train_run(spec["params"], spec["compute"], {str(prepared)!r}, {str(tmp_path / 'weights.h5')!r},
                      {str(tmp_path / 'metrics.json')!r}, {str(tmp_path / 'checkpoint.pt')!r},
                      log=job_logger({str(tmp_path / 'train.log')!r}))
        """)
        first = subprocess.Popen([sys.executable, "-c", code])
        assert wait_for(tmp_path / "checkpoint.pt", first), "no checkpoint was written"
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert not (tmp_path / "weights.h5").exists()
        subprocess.run([sys.executable, "-c", code], check=True)
        log = (tmp_path / "train.log").read_text()
        assert "resumed from the checkpoint after epoch" in log
        assert not (tmp_path / "checkpoint.pt").exists()
        uninterrupted = wdtrain.train(run, data, log=lambda s: None).snapshots[8]
        resumed = final_arrays(tmp_path / "weights.h5")
        assert resumed.keys() == uninterrupted.keys()
        assert all(np.array_equal(resumed[k], uninterrupted[k]) for k in resumed)


@pytest.mark.slow
def test_killed_snakemake_resumes(tmp_path, smoke_config, data):
    """The whole Snakemake run killed with SIGKILL mid-training (as a node failure would): unlock, rerun with
    --rerun-incomplete, and the weights equal an uninterrupted run's."""
    wd, args = one_run_workflow(tmp_path, epochs=8)
    proc = start_until_checkpoint(wd, args)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    snakemake(wd, "--unlock", *args)
    snakemake(wd, "--cores", "1", "--rerun-incomplete", *args)
    assert "resumed from the checkpoint" in (wd / "results/runs/vgg/he/seed0/train.log").read_text()
    reference, _ = one_run_workflow(tmp_path / "reference", epochs=8)
    snakemake(reference, "--cores", "1", *args)
    a = final_arrays(wd / "results/runs/vgg/he/seed0/weights.h5")
    b = final_arrays(reference / "results/runs/vgg/he/seed0/weights.h5")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
