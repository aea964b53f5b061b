rule train:
    input:
        data="results/data/cifar10.npz",
    output:
        weights=f"{RUN_DIR}/weights.h5",
        metrics=f"{RUN_DIR}/metrics.json",
    log:
        f"{RUN_DIR}/train.log",
    params:
        run=get_run_params,
        checkpoint=f"{RUN_DIR}/checkpoint.pt",
    threads: config["resources"]["cuda_threads"] if ON_GPU else config["compute"]["threads"]
    resources:
        gpu=1 if ON_GPU else 0,
        mem_mb=config["resources"]["train_mem_mb"],
        runtime=get_train_runtime,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/train.py"
