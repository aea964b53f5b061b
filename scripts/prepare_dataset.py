"""Rule prepare_dataset: verify the archive and convert it once to uint8 arrays (results/data/cifar10.npz)."""

from weightdist.pipeline import prepare_dataset, run_job

run_job(snakemake.log[0], prepare_dataset, snakemake.input[0], snakemake.params.md5, snakemake.params.counts,
        snakemake.output.data, snakemake.output.summary)
