"""Rule plot_measures: quantile bands over training, dead units, gradient norms, filters, spectra, correlations."""

from weightdist.pipeline import run_job
from weightdist.render import render_measures

run_job(snakemake.log[0], render_measures, snakemake.config, dict(snakemake.input.items()))
