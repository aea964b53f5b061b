"""Rule synthetic_cifar10: a small learnable dataset in the official CIFAR-10 archive layout (smoke runs, tests)."""

from weightdist.pipeline import run_job, synthetic_archive

run_job(snakemake.log[0], synthetic_archive, dict(snakemake.params.spec), snakemake.output[0])
