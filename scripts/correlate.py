"""Rule correlate: Spearman correlation of every per-layer measure with test accuracy, with bootstrap intervals."""

from weightdist.pipeline import correlate, run_job

run_job(snakemake.log[0], correlate, dict(snakemake.input.items()), snakemake.output[0])
