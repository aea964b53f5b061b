"""Rule plot_experiment_b: the initialisation figures (conv1 default vs He, conv and fc grids)."""

from weightdist.pipeline import run_job
from weightdist.render import render_experiment_b

run_job(snakemake.log[0], render_experiment_b, snakemake.config, list(snakemake.input))
