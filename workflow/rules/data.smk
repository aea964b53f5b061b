rule download_cifar10:
    output:
        "results/data/cifar-10-python.tar.gz",
    log:
        "logs/data/download_cifar10.log",
    params:
        url=config["data"]["url"],
        md5=config["data"]["md5"],
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/download_cifar10.py"


rule synthetic_cifar10:
    output:
        "results/data/synthetic-cifar-10-python.tar.gz",
    log:
        "logs/data/synthetic_cifar10.log",
    params:
        spec=config["data"]["synthetic"],
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/synthetic_cifar10.py"


rule prepare_dataset:
    input:
        get_archive,
    output:
        data="results/data/cifar10.npz",
        summary="results/data/cifar10.json",
    log:
        "logs/data/prepare_dataset.log",
    params:
        md5=config["data"]["md5"] if config["data"]["source"] != "synthetic" else "skip",
        counts=get_expected_counts(),
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    conda:
        "../../envs/weightdist.yaml"
    script:
        "../../scripts/prepare_dataset.py"
