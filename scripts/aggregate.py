"""Rule aggregate: per-run tables and metrics -> results/stats/{layer_stats,measures,runs,history,gradients}.tsv."""

from weightdist.pipeline import aggregate, run_job

run_job(snakemake.log[0], aggregate, list(snakemake.input.layer_stats), list(snakemake.input.measures),
        list(snakemake.input.metrics), dict(snakemake.output.items()))
