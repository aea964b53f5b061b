import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The rules' logic lives in the package under src/. This process imports the checked-out copy; rule scripts find the
# same copy through the scripts/weightdist link (Snakemake puts a script's folder on its path), in any environment.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from weightdist import config as wdconfig
from weightdist.device import cuda_present
from weightdist.render import (
    experiment_a_stems,
    experiment_b_stems,
    figure_files,
    measure_stems,
    study_figure_stems,
    table_files,
)
from weightdist.report import embedded_figures, report_settings

SCHEMA = str(Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
try:
    validate(config, schema=SCHEMA)
except WorkflowError:
    wdconfig.validate_schema(config, SCHEMA)  # the same check, reported one line per problem
    raise
wdconfig.check_config(config)


wildcard_constraints:
    model="|".join(wdconfig.MODEL_NAMES),
    init="|".join(wdconfig.INIT_NAMES),
    seed=r"\d+",


RUN_DIR = "results/runs/{model}/{init}/seed{seed}"
STATS_TABLES = {
    name: f"results/stats/{name}.tsv"
    for name in ("runs", "layer_stats", "measures", "gradients", "history")
}
ON_GPU = config["compute"]["device"] == "cuda" or (config["compute"]["device"] == "auto" and cuda_present())


def run_files(name, models=None, inits=None):
    """One file per run of the grid (or of the given models and inits), e.g. every weights.h5."""
    return [
        f"results/runs/{m}/{i}/seed{s}/{name}"
        for m, i, s in wdconfig.runs(config)
        if (models is None or m in models) and (inits is None or i in inits)
    ]


def get_experiment_weights():
    """The weight files that experiments A and B look at."""
    a, b = config["experiments"]["a"], config["experiments"]["b"]
    files = run_files("weights.h5", models=a["models"], inits=[a["init"]]) if a else []
    files += run_files("weights.h5", models=[b["model"]], inits=b["inits"]) if b else []
    return sorted(set(files))


def get_archive(wildcards):
    source = config["data"]["source"]
    if source == "download":
        return "results/data/cifar-10-python.tar.gz"
    if source == "synthetic":
        return "results/data/synthetic-cifar-10-python.tar.gz"
    return config["data"]["local_archive"]


def get_expected_counts():
    if config["data"]["source"] == "synthetic":
        s = config["data"]["synthetic"]
        return [10 * s["train_per_class"], 10 * s["test_per_class"]]
    return [50000, 10000]


def get_run_params(wildcards):
    run = wdconfig.run_config(config, wildcards.model, wildcards.init, int(wildcards.seed))
    return run.params()


def get_train_runtime(wildcards):
    epochs = config["models"][wildcards.model]["recipe"]["epochs"]
    return int(10 + epochs * config["resources"]["train_minutes_per_epoch"])


def get_final_outputs():
    # every run's files are targets themselves: a deleted weights.h5 is retrained even though its statistics exist
    outputs = run_files("weights.h5") + run_files("metrics.json")
    outputs += list(STATS_TABLES.values())
    outputs += ["results/stats/group_comparison.tsv", "results/stats/accuracy_correlation.tsv"]
    outputs += figure_files(study_figure_stems(config), config)
    outputs += table_files(config) + ["results/tables/claims.tsv", "results/tables/claims.md"]
    outputs += ["results/report.html"]
    return outputs


def figures(stems, category, caption):
    """The figure files of `stems`, in every configured format, marked for the Snakemake report."""
    return [report(f, caption=caption, category=category) for f in figure_files(stems, config)]
