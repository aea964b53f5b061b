"""Rule plot_curves: test accuracy and loss per epoch, every run drawn."""

from weightdist.pipeline import run_job
from weightdist.render import render_curves

run_job(snakemake.log[0], render_curves, snakemake.config, snakemake.input[0])
