"""Rule download_cifar10: fetch the official archive and verify its md5 (nothing is left behind on failure)."""

from weightdist.pipeline import download_archive, run_job

run_job(snakemake.log[0], download_archive, snakemake.params.url, snakemake.params.md5, snakemake.output[0])
