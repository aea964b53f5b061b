"""The training loop: one (model, init, seed) run, from initialisation to final weights.

Reads top to bottom like nanoGPT's: build and initialise, resume from a checkpoint if there is one, then per epoch:
train (forward, backward, record gradient norms, step, schedule), evaluate, snapshot, checkpoint, log one table row.
Randomness comes only from generators seeded by (seed, purpose, epoch), so a run resumed from any checkpoint ends with
the same weights, bit for bit, as an uninterrupted one on the same device.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .config import RunConfig, derive_seed
from .data import DeviceLoader, PreparedData
from .device import autocast, effective_precision, resolve_device
from .fileio import atomic_path
from .inits import initialise
from .models import ConvNet, build_model


class TrainingDiverged(RuntimeError):
    """The loss became non-finite and the config asks for the job to fail (compute.on_divergence: fail)."""


@dataclass
class TrainResult:
    status: str                                  # "completed" or "diverged"
    snapshots: dict[int, dict[str, np.ndarray]]  # epoch -> state_dict as float32 arrays
    history: list[dict]                          # one record per epoch (0 = before training)
    device: str
    precision: str
    wall_time_s: float
    resumed_from_epoch: int | None = None
    divergence: dict | None = None               # epoch, step, last finite loss (diverged runs only)
    layers: list = field(default_factory=list)   # models.LayerInfo in forward order

    @property
    def final(self) -> dict:
        return self.history[-1]


def make_model(run: RunConfig) -> ConvNet:
    """The initialised model for a run: same (model, init, seed) gives the same weights."""
    model = build_model(run.arch)
    initialise(model, run.init, torch.Generator().manual_seed(derive_seed(run.seed, "init")))
    return model


def make_optimizer(model: ConvNet, recipe) -> torch.optim.Optimizer:
    # weight decay on conv and fc weights only: biases and BN scales are not pulled towards 0 (nanoGPT's split)
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    rest = [p for n, p in model.named_parameters() if p.dim() <= 1]
    groups = [{"params": decay, "weight_decay": recipe.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=recipe.lr, momentum=recipe.momentum, nesterov=recipe.nesterov)
    return torch.optim.AdamW(groups, lr=recipe.lr, betas=(recipe.momentum, 0.999))


def lr_factor(recipe, steps_per_epoch: int) -> Callable[[int], float]:
    """Multiplier of the peak learning rate at optimiser step `step`."""
    total = recipe.epochs * steps_per_epoch
    warm = max(1, round(recipe.warmup_epochs * steps_per_epoch))

    def factor(step: int) -> float:
        if recipe.schedule == "constant":
            return 1.0
        if step < warm:
            return (step + 1) / warm
        progress = min(1.0, (step - warm) / max(1, total - warm))
        if recipe.schedule == "onecycle":
            return 1.0 - progress
        return 0.5 * (1 + math.cos(math.pi * progress))   # cosine

    return factor


@torch.no_grad()
def evaluate(model: torch.nn.Module, loader: DeviceLoader, device: torch.device, precision: str) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) over the loader's split."""
    model.eval()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    for x, y in loader.epoch():
        with autocast(device, precision):
            logits = model(x)
        loss_sum += F.cross_entropy(logits.float(), y, reduction="sum")
        correct += (logits.argmax(1) == y).sum()
    n = len(loader.labels)
    return loss_sum.item() / n, correct.item() / n


def state_arrays(model: torch.nn.Module) -> dict[str, np.ndarray]:
    """Float state (parameters and BN running statistics) as float32 numpy arrays, keyed by state_dict name."""
    return {k: v.detach().float().cpu().numpy().copy() for k, v in model.state_dict().items() if v.is_floating_point()}


class NonFiniteWatch:
    """Notices the first non-finite loss. Checks every `every` steps so a GPU is not synchronised at each step."""

    def __init__(self, every: int):
        self.every, self.pending = every, []
        self.last_finite = float("nan")

    def add(self, step: int, loss: torch.Tensor) -> dict | None:
        self.pending.append((step, loss.detach()))
        if len(self.pending) < self.every:
            return None
        return self.flush()

    def flush(self) -> dict | None:
        if not self.pending:
            return None
        values = torch.stack([v for _, v in self.pending]).float().cpu()
        finite = torch.isfinite(values)
        steps = [s for s, _ in self.pending]
        self.pending = []
        if bool(finite.all()):
            self.last_finite = float(values[-1])
            return None
        first = int((~finite).nonzero()[0])
        if first > 0:
            self.last_finite = float(values[first - 1])
        return {"step": steps[first], "loss": float(values[first]), "last_finite_loss": self.last_finite}


def train(run: RunConfig, data: PreparedData, *, checkpoint: str | Path | None = None,
          log: Callable[[str], None] = print) -> TrainResult:
    """Train one run; resume from `checkpoint` when it holds a matching state, and keep it up to date."""
    started = time.perf_counter()
    device = resolve_device(run.compute.device)
    precision = effective_precision(device, run.compute.precision)
    recipe = run.recipe
    if device.type == "cpu":
        torch.set_num_threads(run.compute.threads)

    model = make_model(run).to(device)
    layers = model.layers()
    if run.compute.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, recipe)
    train_loader = DeviceLoader(data.train, recipe.batch_size, data.mean, data.std, seed=run.seed, shuffle=True,
                                crop_padding=recipe.crop_padding, flip=recipe.flip,
                                channels_last=run.compute.channels_last)
    test_loader = DeviceLoader(data.test, run.compute.eval_batch_size, data.mean, data.std,
                               channels_last=run.compute.channels_last)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(recipe, len(train_loader)))
    forward = torch.compile(model) if run.compute.compile else model
    keep = set(run.snapshot_epochs())
    params = [(n, p) for n, p in model.named_parameters()]

    snapshots: dict[int, dict[str, np.ndarray]] = {}
    history: list[dict] = []
    start_epoch, resumed_from, spent_before = 1, None, 0.0
    state = load_checkpoint(checkpoint, run.digest(), device) if checkpoint else None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        snapshots, history = state["snapshots"], state["history"]
        start_epoch = resumed_from = state["epoch"] + 1
        spent_before = state["wall_time_s"]
        log(f"resumed from the checkpoint after epoch {state['epoch']}")
    else:
        test_loss, test_acc = evaluate(forward, test_loader, device, precision)
        snapshots[0] = state_arrays(model)
        history.append({"epoch": 0, "lr": 0.0, "train_loss": None, "train_acc": None, "test_loss": test_loss,
                        "test_acc": test_acc, "seconds": 0.0, "images_per_s": None, "grad_norm": {}})

    log(f"{run.model}/{run.init}/seed{run.seed} on {device.type}, {precision}, {recipe.epochs} epochs, "
        f"{len(train_loader)} steps/epoch, {sum(p.numel() for _, p in params):,} parameters")
    log(f"{'epoch':>5} {'lr':>8} {'train loss':>10} {'train acc':>9} {'test loss':>9} {'test acc':>8} "
        f"{'seconds':>8} {'img/s':>7}")
    watch = NonFiniteWatch(every=1 if device.type == "cpu" else 16)
    divergence = None
    for epoch in range(start_epoch, recipe.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        grad_sq = torch.zeros(len(params), device=device)
        steps = 0
        for x, y in train_loader.epoch(epoch):
            with autocast(device, precision):
                logits = forward(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=recipe.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for _, p in params]
            grad_sq += torch.stack(torch._foreach_norm(grads))   # sum over steps of per-parameter norms
            optimizer.step()
            scheduler.step()
            loss_sum += loss.detach() * len(y)
            correct += (logits.argmax(1) == y).sum()
            steps += 1
            divergence = watch.add(steps, loss)
            if divergence:
                break
        divergence = divergence or watch.flush()
        if divergence:
            divergence["epoch"] = epoch
            log(f"loss became non-finite at epoch {epoch}, step {divergence['step']} "
                f"(last finite loss {divergence['last_finite_loss']:.4g})")
            if run.compute.on_divergence == "fail":
                raise TrainingDiverged(f"{run.model}/{run.init}/seed{run.seed}: non-finite loss at epoch {epoch}, "
                                       f"step {divergence['step']} (compute.on_divergence is 'fail')")
            break
        seconds = time.perf_counter() - t0
        n = len(train_loader.labels)
        test_loss, test_acc = evaluate(forward, test_loader, device, precision)
        record = {"epoch": epoch, "lr": scheduler.get_last_lr()[0], "train_loss": loss_sum.item() / n,
                  "train_acc": correct.item() / n, "test_loss": test_loss, "test_acc": test_acc,
                  "seconds": seconds, "images_per_s": n / seconds,
                  "grad_norm": {name: float(v) / steps for (name, _), v in zip(params, grad_sq.tolist())}}
        history.append(record)
        if epoch in keep:
            snapshots[epoch] = state_arrays(model)
        log(f"{epoch:>5} {record['lr']:>8.4f} {record['train_loss']:>10.4f} {record['train_acc']:>9.4f} "
            f"{test_loss:>9.4f} {test_acc:>8.4f} {seconds:>8.1f} {record['images_per_s']:>7.0f}")
        if checkpoint and (epoch % run.compute.checkpoint_every == 0) and epoch < recipe.epochs:
            save_checkpoint(checkpoint, {
                "digest": run.digest(), "epoch": epoch, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "snapshots": snapshots,
                "history": history, "wall_time_s": spent_before + time.perf_counter() - started})

    return TrainResult(status="diverged" if divergence else "completed", snapshots=snapshots, history=history,
                       device=str(device), precision=precision,
                       wall_time_s=spent_before + time.perf_counter() - started,
                       resumed_from_epoch=resumed_from, divergence=divergence, layers=layers)


def save_checkpoint(path: str | Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | Path, digest: str, device: torch.device) -> dict | None:
    """The saved state if `path` holds one for this exact training config, else None (a stale one is ignored)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location=device, weights_only=False)
    except Exception:   # a checkpoint we cannot read is only a lost shortcut: train from the start
        return None
    return state if isinstance(state, dict) and state.get("digest") == digest else None
