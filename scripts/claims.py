"""Rule claims: every claim of the original report as a measured quantity with a verdict."""

from weightdist.pipeline import run_job
from weightdist.render import render_claims

tables = {name: snakemake.input[name] for name in ("runs", "layer_stats", "measures", "gradients", "history")}
run_job(snakemake.log[0], render_claims, snakemake.config, list(snakemake.input.weights), tables)
