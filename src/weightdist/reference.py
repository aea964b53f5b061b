"""The original report's numbers (../shared/study.md), shown beside ours in every table."""

# Experiment B: Model 2 (vgg), 5 runs per initialisation.
EXPERIMENT_B = {
    "he": {"test_loss": 0.7715, "test_acc": 75.43},
    "xavier": {"test_loss": 0.8594, "test_acc": 74.43},
    "orthogonal": {"test_loss": 0.8263, "test_acc": 74.99},
    "default": {"test_loss": 1.8573, "test_acc": 68.94},
}

# Experiment A: reported test accuracy (%), PyTorch's default initialisation.
EXPERIMENT_A = {"resvgg": 90.0, "vgg": 69.0}


def reported(model: str, init: str) -> dict:
    """The report's accuracy (%) and loss for a (model, init) group, where it gives them (else empty)."""
    if model == "vgg" and init in EXPERIMENT_B:
        return dict(EXPERIMENT_B[init])
    if model == "resvgg" and init == "default":
        return {"test_acc": EXPERIMENT_A[model], "test_loss": None}
    return {}
