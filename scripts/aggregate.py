"""Rule aggregate: per-run tables and metrics -> results/stats/{layer_stats,runs,history,gradients}.tsv."""

from weightdist.pipeline import aggregate, run_job

run_job(snakemake.log[0], aggregate, list(snakemake.input.layer_stats), list(snakemake.input.metrics),
        dict(snakemake.output.items()))
