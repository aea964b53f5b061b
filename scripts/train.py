"""Rule train: one (model, init, seed) run -> weights.h5 (snapshots) and metrics.json (history, accuracy, timing)."""

from weightdist.pipeline import run_job, train_run

run_job(snakemake.log[0], train_run, dict(snakemake.params.run), snakemake.config["compute"], snakemake.input.data,
        snakemake.output.weights, snakemake.output.metrics, snakemake.params.checkpoint)
