"""Shared fixtures: the repository's configs and a tiny synthetic CIFAR-10 archive in the official layout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

# one thread, as the training jobs use: on a machine whose other core is busy, multi-threaded ops crawl
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from weightdist import config as wdconfig  # noqa: E402
from weightdist import data as wddata  # noqa: E402

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"

# Every Snakemake the tests start would otherwise wait ~10 s for a SLURM controller (see the file's comment).
UNREACHABLE_SLURM = REPO / "tests/slurm/unreachable.conf"
os.environ.setdefault("SLURM_CONF", str(UNREACHABLE_SLURM))


def load(*overlays: str | Path) -> dict:
    return wdconfig.load_config(REPO / "config/config.yaml", *overlays, schema=SCHEMA)


@pytest.fixture(scope="session")
def smoke_config() -> dict:
    return load(REPO / "config/smoke.yaml")


@pytest.fixture(scope="session")
def archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "cifar-10-python.tar.gz"
    wddata.write_synthetic_archive(path, train_per_class=20, test_per_class=10, seed=0)
    return path


@pytest.fixture(scope="session")
def prepared(archive, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prepared") / "cifar10.npz"
    wddata.prepare(archive, out, "skip", (200, 100))
    return out


@pytest.fixture(scope="session")
def data(prepared):
    return wddata.load_prepared(prepared)


def run_config(config: dict, model: str = "vgg", init: str = "he", seed: int = 0, **recipe) -> wdconfig.RunConfig:
    """A run of the smoke config, with recipe keys overridden."""
    run = wdconfig.run_config(config, model, init, seed)
    d = run.to_dict()
    d["recipe"].update(recipe)
    return wdconfig.RunConfig.from_dict(d)


def copy_workflow(dest: Path) -> Path:
    """A copy of the workflow (tracked layout, no results) to run Snakemake in isolation."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "workflow", "config", "scripts", "src", "envs", "profiles"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=workdir, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n"
                             f"{proc.stderr[-4000:]}")
    return proc


def planned_jobs(workdir: Path, *args: str) -> dict[str, int]:
    """{rule: count} that a dry run would execute."""
    proc = snakemake(workdir, "-n", "--quiet", "rules", *args)
    counts: dict[str, int] = {}
    in_table = False
    for line in (proc.stdout + proc.stderr).splitlines():
        parts = line.split()
        if line.startswith("job ") or line.startswith("job\t"):
            in_table = True
            continue
        if in_table and len(parts) == 2 and parts[1].isdigit():
            if parts[0] == "total":
                break
            counts[parts[0]] = int(parts[1])
    return counts


@pytest.fixture(scope="session")
def smoke_workdir(tmp_path_factory):
    """A scratch copy of the workflow after one complete smoke run (shared by the DAG and report tests; tests that
    change a file put it back as it was)."""
    wd = copy_workflow(tmp_path_factory.mktemp("smoke"))
    snakemake(wd, "--cores", "2", "--configfile", "config/smoke.yaml")
    return wd


ONE_RUN = ("grid: {seeds: [0], inits: [he], models: [vgg]}\nexperiments: {a: null, b: {inits: [he]}}\n"
           "data: {synthetic: {train_per_class: 100, test_per_class: 10, seed: 0}}\n")
ONE_RUN_DIR = "results/runs/vgg/he/seed0"


def one_run_workflow(dest: Path, epochs: int) -> tuple[Path, list[str]]:
    """A scratch workflow whose grid is one vgg/he run of `epochs` epochs on 1,000 synthetic images, and the
    Snakemake arguments that build that run (the target goes before --configfile, which takes every argument after
    it)."""
    wd = copy_workflow(dest)
    (wd / "config/one.yaml").write_text(ONE_RUN + f"models: {{vgg: {{recipe: {{epochs: {epochs}}}}}}}\n")
    return wd, [f"{ONE_RUN_DIR}/metrics.json", "--configfile", "config/smoke.yaml", "config/one.yaml"]


def default_sigint() -> None:
    """preexec_fn for a child that the tests stop with SIGINT (Ctrl-C). A shell starts background jobs with SIGINT
    ignored, and an ignored signal stays ignored across exec: restore it, wherever pytest itself was started."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_until_checkpoint(wd: Path, args: list[str], timeout: float = 300) -> subprocess.Popen:
    """Start Snakemake in its own process group and return once the training has written its first checkpoint."""
    import time

    proc = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "1", *args], cwd=wd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=default_sigint)
    ckpt = wd / ONE_RUN_DIR / "checkpoint.pt"
    deadline = time.time() + timeout
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert ckpt.exists(), "the training never wrote a checkpoint"
    return proc
