# weightdist: train families of CIFAR-10 CNNs and compare their weight distributions layer by layer.
#
#   snakemake --cores 2 --configfile config/smoke.yaml      # the whole study on tiny synthetic data, minutes
#   snakemake --cores 8 --resources gpu=1                   # the full study (config/config.yaml) on a GPU machine
#   snakemake --profile profiles/slurm                      # on a SLURM cluster
#
# Stages: data (download or generate, verify, convert) -> train (one job per model x init x seed) -> analyze
# (per-run statistics, aggregation) -> render (figures, tables). See README.md.

from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/analyze.smk"
include: "workflow/rules/render.smk"


rule all:
    input:
        get_final_outputs(),
    default_target: True
