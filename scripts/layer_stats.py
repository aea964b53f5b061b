"""Rule layer_stats: distribution statistics of every parameter at every snapshot of one run."""

from weightdist.pipeline import run_job, run_stats

run_job(snakemake.log[0], run_stats, snakemake.input[0], dict(snakemake.params.analysis), snakemake.output[0])
