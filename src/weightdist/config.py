"""Typed view of the pipeline configuration.

The YAML config is validated against `workflow/schemas/config.schema.yaml` (structure, types, ranges) and then by
`check_config` (rules that span several keys). The training job receives one `RunConfig`: everything that changes the
trained weights, and nothing else, so its `digest()` names the training exactly and Snakemake reruns a job only when it
changes.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

MODEL_NAMES = ("resvgg", "vgg")
INIT_NAMES = ("default", "he", "xavier", "orthogonal")
MODEL_LABELS = {
    "resvgg": "Model 1 (residual VGG, BN, augmentation)",
    "vgg": "Model 2 (plain VGG)",
}
INIT_LABELS = {"default": "Baseline (PyTorch default)", "he": "He (Kaiming normal)", "xavier": "Xavier (Glorot)",
               "orthogonal": "Orthogonal"}


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key, the value and what is allowed."""


# ---------------------------------------------------------------------------------------------------------------------
# Typed pieces


@dataclass(frozen=True)
class Architecture:
    name: str                               # "resvgg" (BN + 1x1 shortcuts) or "vgg" (plain)
    stages: tuple[tuple[int, ...], ...]     # conv widths per stage; a 2x2 max-pool follows each stage
    fc_hidden: tuple[int, ...]              # widths of fc1, fc2 (fc3 maps to the classes)
    num_classes: int = 10

    @property
    def n_conv(self) -> int:
        return sum(len(s) for s in self.stages)

    def layer_names(self, kind: str) -> list[str]:
        """Layer names of one kind in forward order, without building the model (the Snakefile needs them)."""
        if kind == "conv":
            return [f"conv{k}" for k in range(1, self.n_conv + 1)]
        if kind == "bn":
            return [f"bn{k}" for k in range(1, self.n_conv + 1)] if self.batchnorm else []
        if kind == "shortcut":
            return [f"shortcut{s}" for s in range(1, len(self.stages) + 1)] if self.shortcuts else []
        if kind == "fc":
            return [f"fc{j}" for j in range(1, len(self.fc_hidden) + 2)]
        raise ValueError(f"unknown layer kind {kind!r}")

    @property
    def batchnorm(self) -> bool:
        return self.name == "resvgg"

    @property
    def shortcuts(self) -> bool:
        return self.name == "resvgg"


@dataclass(frozen=True)
class Recipe:
    epochs: int
    batch_size: int
    optimizer: str                 # "sgd" (with momentum) or "adamw"
    lr: float                      # peak learning rate
    momentum: float                # SGD momentum, or AdamW beta1
    nesterov: bool
    weight_decay: float            # applied to conv and fc weights only, not to biases or BN
    schedule: str                  # "constant", "onecycle" (linear up, linear down to 0) or "cosine"
    warmup_epochs: float           # length of the linear warm-up (onecycle and cosine)
    label_smoothing: float
    crop_padding: int              # random-crop padding in pixels; 0 disables the crop
    flip: bool                     # random horizontal flip


@dataclass(frozen=True)
class Compute:
    device: str = "auto"           # "auto", "cpu" or "cuda"
    precision: str = "bf16"        # "bf16" autocast where the device supports it, or "fp32"
    channels_last: bool = True
    compile: bool = False
    threads: int = 1               # torch threads per training job on the CPU
    eval_batch_size: int = 1000
    checkpoint_every: int = 1      # epochs between checkpoints
    on_divergence: str = "record"  # "record" the run as diverged and go on, or "fail" the job


OPERATIONAL = ("threads", "eval_batch_size", "checkpoint_every", "on_divergence")   # do not change the weights


@dataclass(frozen=True)
class RunConfig:
    model: str
    init: str
    seed: int
    arch: Architecture
    recipe: Recipe
    compute: Compute = field(default_factory=Compute)
    snapshots: tuple[int, ...] = ()          # epochs to keep weights at, besides 0 and the last
    data_md5: str = ""                       # md5 of the prepared data's source archive

    def snapshot_epochs(self) -> tuple[int, ...]:
        """Epochs whose weights are saved: 0 (initialisation), the configured ones and the final epoch."""
        return tuple(sorted({0, self.recipe.epochs, *[e for e in self.snapshots if e <= self.recipe.epochs]}))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        arch = dict(d["arch"])
        arch["stages"] = tuple(tuple(s) for s in arch["stages"])
        arch["fc_hidden"] = tuple(arch["fc_hidden"])
        return cls(model=d["model"], init=d["init"], seed=int(d["seed"]), arch=Architecture(**arch),
                   recipe=Recipe(**d["recipe"]), compute=Compute(**d.get("compute", {})),
                   snapshots=tuple(d.get("snapshots", ())), data_md5=d.get("data_md5", ""))

    def params(self) -> dict[str, Any]:
        """The run as Snakemake params: everything but the operational compute keys, so that changing threads,
        checkpoint cadence or divergence handling does not retrain anything."""
        d = self.to_dict()
        d["compute"] = {k: v for k, v in d["compute"].items() if k not in OPERATIONAL}
        return d

    @classmethod
    def from_params(cls, params: dict[str, Any], compute_config: dict[str, Any]) -> "RunConfig":
        d = copy.deepcopy(dict(params))
        d["compute"] = {**d["compute"], **{k: compute_config[k] for k in OPERATIONAL}}
        return cls.from_dict(d)

    def training_identity(self) -> dict[str, Any]:
        """What determines the trained weights (device choice and precision included; threads and I/O cadence not)."""
        d = self.to_dict()
        c = d.pop("compute")
        d["numerics"] = {k: c[k] for k in ("device", "precision", "channels_last", "compile")}
        d["snapshots"] = list(self.snapshot_epochs())
        return d

    def digest(self) -> str:
        return digest(self.training_identity())


def digest(obj: Any) -> str:
    """Short stable hash of a JSON-able object."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=list).encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------------
# From the raw config dict


def architecture(config: dict, model: str) -> Architecture:
    m = config["models"][model]
    return Architecture(name=model, stages=tuple(tuple(s) for s in m["stages"]), fc_hidden=tuple(m["fc_hidden"]))


def recipe(config: dict, model: str) -> Recipe:
    r = dict(config["models"][model]["recipe"])
    aug = r.pop("augment")
    return Recipe(**r, crop_padding=aug["crop_padding"], flip=aug["flip"])


def compute(config: dict) -> Compute:
    return Compute(**config["compute"])


def data_identity(config: dict) -> str:
    """A string that changes whenever the training images change (archive checksum, or the synthetic recipe)."""
    d = config["data"]
    if d["source"] == "synthetic":
        return "synthetic-" + digest(d["synthetic"])
    return d["md5"] if d["md5"] != "skip" else "local-" + str(d["local_archive"])


def run_config(config: dict, model: str, init: str, seed: int) -> RunConfig:
    return RunConfig(model=model, init=init, seed=int(seed), arch=architecture(config, model),
                     recipe=recipe(config, model), compute=compute(config),
                     snapshots=tuple(config["snapshots"]), data_md5=data_identity(config))


def runs(config: dict) -> list[tuple[str, str, int]]:
    """All (model, init, seed) of the grid, in a fixed order."""
    g = config["grid"]
    return [(m, i, int(s)) for m in g["models"] for i in g["inits"] for s in g["seeds"]]


# ---------------------------------------------------------------------------------------------------------------------
# Loading and checking (the Snakefile uses Snakemake's own loader and `validate`; tests and tools use these)


def merge(base: dict, overlay: dict) -> dict:
    """Recursive dict update, the same rule Snakemake applies to --configfile over the Snakefile's configfile."""
    out = copy.deepcopy(base)
    for k, v in overlay.items():
        out[k] = merge(out.get(k, {}), v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def load_config(*paths: str | Path, schema: str | Path | None = None) -> dict:
    """Load config files, each merged over the previous, then validate (schema when given, and cross-key checks)."""
    config: dict = {}
    for p in paths:
        with open(p) as f:
            config = merge(config, yaml.safe_load(f) or {})
    if schema is not None:
        validate_schema(config, schema)
    check_config(config)
    return config


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def explain_schema_error(error) -> str:
    """One line per error: the key, the value received, and what is allowed."""
    key, value = _key(error.absolute_path), error.instance
    v = error.validator
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
        where = f"under '{key}'" if error.absolute_path else "at the top level"
        return f"unknown key(s) {', '.join(repr(e) for e in extra)} {where}; allowed keys: {', '.join(allowed)}"
    if v == "required":
        return f"'{key}' is missing a required key: {error.message.split(' is a required')[0]}"
    if v == "enum":
        return f"'{key}' = {value!r} is not allowed; choose one of: {', '.join(map(str, error.validator_value))}"
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        word = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}[v]
        return f"'{key}' = {value!r} is out of range; it must be {word} {error.validator_value}"
    if v == "type":
        return f"'{key}' = {value!r} has the wrong type; expected {error.validator_value}"
    if v == "minItems":
        return f"'{key}' = {value!r} is too short; give at least {error.validator_value} item(s)"
    if v == "uniqueItems":
        return f"'{key}' = {value!r} lists an item twice; items must be unique"
    if v == "pattern":
        return f"'{key}' = {value!r} does not match the expected form {error.validator_value!r}"
    return f"'{key}' = {value!r}: {error.message}"


def validate_schema(config: dict, schema: str | Path) -> None:
    """Validate against the JSON schema; raise ConfigError listing every problem, one line each."""
    import jsonschema

    with open(schema) as f:
        schema_obj = yaml.safe_load(f)
    validator = jsonschema.validators.validator_for(schema_obj)(schema_obj)
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    if errors:
        lines = sorted({explain_schema_error(e) for e in errors})
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(lines))


def check_config(config: dict) -> None:
    """Rules the schema cannot express. Raise ConfigError naming key, value and what is allowed."""
    problems = []
    grid = config["grid"]
    for m in grid["models"]:
        if m not in config["models"]:
            problems.append(f"'grid.models' names {m!r} but 'models.{m}' is not configured")
    for m in grid["models"]:
        epochs = config["models"].get(m, {}).get("recipe", {}).get("epochs")
        if epochs is None:
            continue
        beyond = [e for e in config["snapshots"] if e > epochs]
        if beyond:
            problems.append(f"'snapshots' = {config['snapshots']} has epoch(s) {beyond} beyond the last epoch of "
                            f"'models.{m}.recipe.epochs' = {epochs}; use epochs from 1 to {epochs}")
    d = config["data"]
    if d["source"] == "local" and not d.get("local_archive"):
        problems.append("'data.source' = 'local' needs 'data.local_archive': the path of a cifar-10-python.tar.gz")
    if d["source"] == "download" and d["md5"] == "skip":
        problems.append("'data.md5' = 'skip' is only allowed for a local archive; a download is always verified "
                        "(the official md5 is c58f30108f718f92721af3b95e74349a)")
    if d["source"] == "local" and d.get("local_archive") and not Path(d["local_archive"]).is_file():
        problems.append(f"'data.local_archive' = {d['local_archive']!r} does not exist; build one with "
                        "'python3 ../shared/datasets/cifar10_from_jpeg.py <jpeg tar> <out.tar.gz>' or point to the "
                        "official cifar-10-python.tar.gz")
    a, b = config["experiments"]["a"], config["experiments"]["b"]
    named = []
    if a is not None:
        named += [("experiments.a.models", a["models"], grid["models"]),
                  ("experiments.a.init", [a["init"]], grid["inits"])]
        n_conv = min(architecture(config, m).n_conv for m in a["models"] if m in config["models"])
        if a["later_conv"] > n_conv:
            problems.append(f"'experiments.a.later_conv' = {a['later_conv']} but the models have {n_conv} conv "
                            f"layers; choose 1..{n_conv}")
    if b is not None:
        named += [("experiments.b.model", [b["model"]], grid["models"]),
                  ("experiments.b.inits", b["inits"], grid["inits"])]
    for key, names, allowed in named:
        missing = [n for n in names if n not in allowed]
        if missing:
            problems.append(f"'{key}' names {missing}, which the grid does not train; the grid has {allowed}")
    for m in grid["models"]:
        stages = config["models"].get(m, {}).get("stages", [])
        if len(stages) > 5:
            problems.append(f"'models.{m}.stages' has {len(stages)} stages; at most 5 fit a 32x32 image "
                            "(each stage halves the resolution)")
    shapes = {m: [len(s) for s in config["models"][m]["stages"]] for m in grid["models"] if m in config["models"]}
    if len({tuple(v) for v in shapes.values()}) > 1:
        problems.append(f"'models.*.stages' differ in depth ({shapes}); the models must have the same number of "
                        "conv layers per stage so that conv k of one faces conv k of the other")
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))


def derive_seed(*parts: Any) -> int:
    """An independent 63-bit seed for each purpose ("init", "data", epoch, ...) from the run's seed."""
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little") >> 1
