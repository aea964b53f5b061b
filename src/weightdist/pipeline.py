"""One entry point per Snakemake rule; the rule scripts in scripts/ only unpack `snakemake` and call these."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from pathlib import Path

import pandas as pd

from .fileio import read_table, write_json, write_table


def job_logger(log_path: str | Path | None, name: str = "weightdist") -> logging.Logger:
    """A logger writing to the rule's log file (and stderr), with timestamps."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    for h in handlers:
        h.setFormatter(fmt)
        logger.addHandler(h)
    return logger


def _terminate(signum, frame):
    # SIGTERM (Snakemake stopping, a scheduler preempting) unwinds like Ctrl-C, so temporary files are removed
    raise KeyboardInterrupt(f"signal {signum}")


def run_job(log_path, fn, *args, **kwargs):
    """Run `fn(*args, log=logger, **kwargs)`; log a known error as one clear line and exit 1 instead of a traceback."""
    from .config import ConfigError
    from .data import DataError
    from .fileio import CorruptFileError
    from .train import TrainingDiverged

    signal.signal(signal.SIGTERM, _terminate)
    log = job_logger(log_path)
    try:
        return fn(*args, log=log, **kwargs)
    except (ConfigError, DataError, CorruptFileError, TrainingDiverged) as e:
        log.error(str(e))
        sys.exit(1)


# ---------------------------------------------------------------------------------------------------------------------
# data


def download_archive(url: str, md5: str, out: str, *, log: logging.Logger) -> None:
    from .data import download

    log.info(f"downloading {url}")
    download(url, out, md5)
    log.info(f"verified md5 {md5}; wrote {out}")


def synthetic_archive(spec: dict, out: str, *, log: logging.Logger) -> None:
    from .data import write_synthetic_archive

    md5 = write_synthetic_archive(out, spec["train_per_class"], spec["test_per_class"], spec["seed"])
    log.info(f"wrote a synthetic CIFAR-10-layout archive {out}: {spec} (md5 {md5})")


def prepare_dataset(archive: str, md5: str, expected_counts: list[int] | None, out: str, summary: str, *,
                    log: logging.Logger) -> None:
    from .data import prepare

    log.info(f"verifying and converting {archive}")
    info = prepare(archive, out, md5, tuple(expected_counts) if expected_counts else None)
    write_json(summary, info)
    log.info(json.dumps(info))


# ---------------------------------------------------------------------------------------------------------------------
# training


def train_run(params: dict, compute_config: dict, data_path: str, weights_out: str, metrics_out: str,
              checkpoint: str, *, log: logging.Logger) -> None:
    from .config import RunConfig
    from .data import load_prepared
    from .device import resolve_device
    from .train import train
    from .weights import versions, write_weights

    run = RunConfig.from_params(params, compute_config)
    data = load_prepared(data_path, resolve_device(run.compute.device))
    result = train(run, data, checkpoint=checkpoint, log=log.info)
    write_weights(weights_out, run, result)
    final = result.final
    metrics = {"model": run.model, "init": run.init, "seed": run.seed, "status": result.status,
               "epochs": run.recipe.epochs, "final_epoch": final["epoch"], "test_acc": final["test_acc"],
               "test_loss": final["test_loss"], "train_acc": final["train_acc"], "train_loss": final["train_loss"],
               "n_parameters": int(sum(v.size for k, v in result.snapshots[0].items()
                                       if not k.endswith(("running_mean", "running_var")))),
               "wall_time_s": result.wall_time_s, "device": result.device, "precision": result.precision,
               "resumed_from_epoch": result.resumed_from_epoch, "divergence": result.divergence,
               "config_digest": run.digest(), "config": run.to_dict(), **versions(), "history": result.history}
    write_json(metrics_out, metrics)
    Path(checkpoint).unlink(missing_ok=True)   # outputs are complete: the checkpoint has done its job
    log.info(f"{result.status}: test accuracy {final['test_acc']:.4f}, loss {final['test_loss']:.4f}, "
             f"{result.wall_time_s:.1f} s")


# ---------------------------------------------------------------------------------------------------------------------
# statistics


def run_stats(weights: str, analysis: dict, out: str, *, log: logging.Logger) -> None:
    from .stats import run_layer_stats

    t = time.perf_counter()
    frame = run_layer_stats(weights, analysis["near_zero_rel"], analysis["near_zero_abs"])
    write_table(out, frame)
    log.info(f"{len(frame)} rows of layer statistics from {weights} in {time.perf_counter() - t:.1f} s")


def aggregate(layer_stats: list[str], measures: list[str], metrics: list[str], out: dict[str, str], *,
              log: logging.Logger) -> None:
    """Concatenate per-run tables into results/stats: layer_stats, measures, runs, history, gradients."""
    from .stats import (
        GRADIENT_COLUMNS,
        HISTORY_COLUMNS,
        RUN_COLUMNS,
        gradient_rows,
        history_rows,
        read_metrics,
        run_row,
    )

    for name, paths in (("layer_stats", layer_stats), ("measures", measures)):
        write_table(out[name], pd.concat([read_table(p) for p in paths], ignore_index=True))
    all_metrics = [read_metrics(p) for p in metrics]
    write_table(out["runs"], pd.DataFrame([run_row(m) for m in all_metrics], columns=RUN_COLUMNS))
    # explicit columns: a table stays readable (header only) when, say, every run diverged in its first epoch
    write_table(out["history"], pd.DataFrame([r for m in all_metrics for r in history_rows(m)],
                                             columns=HISTORY_COLUMNS))
    write_table(out["gradients"], pd.DataFrame([r for m in all_metrics for r in gradient_rows(m)],
                                               columns=GRADIENT_COLUMNS))
    log.info(f"aggregated {len(metrics)} runs")


# ---------------------------------------------------------------------------------------------------------------------
# analysis


def measure_run(weights: str, data: str, analysis: dict, device: str, out: str, *, log: logging.Logger) -> None:
    from .measures import run_measures

    t = time.perf_counter()
    frame = run_measures(weights, data, analysis["near_zero_rel"], device)
    write_table(out, frame)
    log.info(f"{len(frame)} rows of measures from {weights} in {time.perf_counter() - t:.1f} s")


def compare_groups(config: dict, weights: list[str], out: str, *, log: logging.Logger) -> None:
    from .compare import compare_groups as compare
    from .compare import comparisons
    from .render import Runs

    t = time.perf_counter()
    frame = compare(Runs(weights), comparisons(config))
    write_table(out, frame)
    log.info(f"{len(frame)} group comparisons ({int(frame.differs.sum()) if len(frame) else 0} differ) "
             f"in {time.perf_counter() - t:.1f} s")


def correlate(tables: dict[str, str], out: str, *, log: logging.Logger) -> None:
    from .compare import accuracy_correlations, run_features

    read = {k: read_table(v) for k, v in tables.items()}
    features = run_features(read["runs"], read["layer_stats"], read["measures"], read["gradients"])
    frame = accuracy_correlations(features)
    write_table(out, frame)
    log.info(f"{len(frame)} correlations over {features[['model', 'init', 'seed']].drop_duplicates().shape[0]} runs")
