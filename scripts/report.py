"""Rule html_report: the study as one self-contained HTML document, regenerated from the pipeline's outputs."""

from weightdist.pipeline import run_job
from weightdist.report import write_report

inputs = {k: v if isinstance(v, str) else list(v) for k, v in snakemake.input.items()}
run_job(snakemake.log[0], write_report, dict(snakemake.params.settings), inputs, snakemake.output[0])
