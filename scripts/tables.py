"""Rule tables: accuracy per (model, init) beside the report's numbers; per-layer statistics of experiments A and B."""

from weightdist.pipeline import run_job
from weightdist.render import render_tables

run_job(snakemake.log[0], render_tables, snakemake.config, snakemake.input.runs, snakemake.input.layer_stats)
