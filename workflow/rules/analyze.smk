rule layer_stats:
    input:
        f"{RUN_DIR}/weights.h5",
    output:
        f"{RUN_DIR}/layer_stats.tsv",
    log:
        "logs/runs/{model}/{init}/seed{seed}/layer_stats.log",
    params:
        analysis={k: config["analysis"][k] for k in ("near_zero_rel", "near_zero_abs")},
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/layer_stats.py"


rule aggregate:
    input:
        layer_stats=run_files("layer_stats.tsv"),
        metrics=run_files("metrics.json"),
    output:
        layer_stats="results/stats/layer_stats.tsv",
        runs=report(
            "results/stats/runs.tsv",
            caption="../report/runs.rst",
            category="Tables",
            labels={"table": "runs"},
        ),
        history="results/stats/history.tsv",
        gradients="results/stats/gradients.tsv",
    log:
        "logs/stats/aggregate.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/aggregate.py"
