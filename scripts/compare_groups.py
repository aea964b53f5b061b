"""Rule compare_groups: KS and Wasserstein distances between groups per layer, next to the seed-to-seed ones."""

from weightdist.pipeline import compare_groups, run_job

run_job(snakemake.log[0], compare_groups, snakemake.config, list(snakemake.input), snakemake.output[0])
