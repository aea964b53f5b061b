"""Rule measure_run: dead units, filter diversity, spectra and BN-folded weights of one run, at every snapshot."""

from weightdist.pipeline import measure_run, run_job

run_job(snakemake.log[0], measure_run, snakemake.input.weights, snakemake.input.data,
        dict(snakemake.params.analysis), snakemake.params.device, snakemake.output[0])
