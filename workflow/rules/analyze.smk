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


rule measure_run:
    input:
        weights=f"{RUN_DIR}/weights.h5",
        data="results/data/cifar10.npz",
    output:
        f"{RUN_DIR}/measures.tsv",
    log:
        "logs/runs/{model}/{init}/seed{seed}/measures.log",
    params:
        analysis={"near_zero_rel": config["analysis"]["near_zero_rel"]},
        device=config["compute"]["device"],
    threads: 1
    resources:
        gpu=1 if ON_GPU else 0,
        mem_mb=3000,
        runtime=30,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/measure_run.py"


rule aggregate:
    input:
        layer_stats=run_files("layer_stats.tsv"),
        measures=run_files("measures.tsv"),
        metrics=run_files("metrics.json"),
    output:
        layer_stats="results/stats/layer_stats.tsv",
        measures="results/stats/measures.tsv",
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


rule compare_groups:
    input:
        get_experiment_weights(),
    output:
        report(
            "results/stats/group_comparison.tsv",
            caption="../report/group_comparison.rst",
            category="Measured explanations",
        ),
    log:
        "logs/stats/compare_groups.log",
    params:
        experiments=config["experiments"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/compare_groups.py"


rule correlate:
    input:
        **STATS_TABLES,
    output:
        report(
            "results/stats/accuracy_correlation.tsv",
            caption="../report/accuracy_correlation.rst",
            category="Measured explanations",
        ),
    log:
        "logs/stats/correlate.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/correlate.py"


rule claims:
    input:
        weights=get_experiment_weights(),
        **STATS_TABLES,
    output:
        tsv="results/tables/claims.tsv",
        md=report(
            "results/tables/claims.md",
            caption="../report/claims.rst",
            category="Measured explanations",
        ),
    log:
        "logs/render/claims.log",
    params:
        experiments=config["experiments"],
    localrule: True
    threads: 1
    resources:
        mem_mb=3000,
        runtime=15,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/claims.py"
