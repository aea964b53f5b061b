"""Rule plot_experiment_a: Model 1 vs Model 2 per layer (conv, fc), BN gamma and shortcut figures."""

from weightdist.pipeline import run_job
from weightdist.render import render_experiment_a

run_job(snakemake.log[0], render_experiment_a, snakemake.config, list(snakemake.input))
