EXP_A = config["experiments"]["a"]
EXP_B = config["experiments"]["b"]


if EXP_A is not None:

    rule plot_experiment_a:
        input:
            run_files("weights.h5", models=EXP_A["models"], inits=[EXP_A["init"]]),
        output:
            figures(experiment_a_stems(config), "Experiment A", "../report/experiment_a.rst"),
        log:
            "logs/render/plot_experiment_a.log",
        params:
            experiment=EXP_A,
            plots=config["plots"],
            near_zero_rel=config["analysis"]["near_zero_rel"],
        localrule: True
        threads: 1
        resources:
            mem_mb=3000,
            runtime=20,
        conda:
            "../../envs/weightdist.yaml"
        script:
            "../../scripts/plot_experiment_a.py"


if EXP_B is not None:

    rule plot_experiment_b:
        input:
            run_files("weights.h5", models=[EXP_B["model"]], inits=EXP_B["inits"]),
        output:
            figures(experiment_b_stems(config), "Experiment B", "../report/experiment_b.rst"),
        log:
            "logs/render/plot_experiment_b.log",
        params:
            experiment=EXP_B,
            plots=config["plots"],
            near_zero_rel=config["analysis"]["near_zero_rel"],
        localrule: True
        threads: 1
        resources:
            mem_mb=3000,
            runtime=20,
        conda:
            "../../envs/weightdist.yaml"
        script:
            "../../scripts/plot_experiment_b.py"


rule plot_curves:
    input:
        "results/stats/history.tsv",
    output:
        figures(["curves"], "Training", "../report/curves.rst"),
    log:
        "logs/render/plot_curves.log",
    params:
        plots=config["plots"],
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/plot_curves.py"


rule plot_measures:
    input:
        **STATS_TABLES,
        group_comparison="results/stats/group_comparison.tsv",
        accuracy_correlation="results/stats/accuracy_correlation.tsv",
    output:
        figures(measure_stems(config), "Measured explanations", "../report/measures.rst"),
    log:
        "logs/render/plot_measures.log",
    params:
        plots=config["plots"],
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/plot_measures.py"


rule tables:
    input:
        runs="results/stats/runs.tsv",
        layer_stats="results/stats/layer_stats.tsv",
    output:
        [report(f, caption="../report/tables.rst", category="Tables") for f in table_files(config)],
    log:
        "logs/render/tables.log",
    params:
        experiments=config["experiments"],
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/tables.py"


rule html_report:
    input:
        runs="results/stats/runs.tsv",
        layer_stats="results/stats/layer_stats.tsv",
        history="results/stats/history.tsv",
        group_comparison="results/stats/group_comparison.tsv",
        accuracy_correlation="results/stats/accuracy_correlation.tsv",
        claims="results/tables/claims.tsv",
        tables=[f for f in table_files(config) if f.endswith(".tsv")],
        data="results/data/cifar10.json",
        metrics=run_files("metrics.json"),
        figures=embedded_figures(config),
    output:
        report("results/report.html", caption="../report/html_report.rst", category="Report"),
    log:
        "logs/render/html_report.log",
    params:
        settings=report_settings(config),
    localrule: True
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/report.py"
