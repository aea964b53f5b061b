"""Side-by-side training speed: weightdist's loop against the way such studies are usually written.

    python benchmarks/bench_training.py --archive data/cifar-10-python.tar.gz [--model resvgg] [--epochs 2]

Both sides train the same model (config/cpu.yaml's width-32 architecture and recipe) on the same images:
  usual      torchvision.datasets.CIFAR10 + PIL transforms (RandomCrop(32, 4), RandomHorizontalFlip, ToTensor,
             Normalize) + DataLoader(shuffle, batch 128), fp32, NCHW, torch's default thread count
  weightdist uint8 images kept as one tensor, crop and flip drawn per image on the tensor, channels_last, bf16
             autocast where the CPU runs it fast, one thread (two such jobs share a 2-core machine)
It prints images per second for each (steady state, after warm-up steps) and their ratio, then, with --epochs N,
trains each for N epochs on --train-subset images and prints the test accuracy of both: the speed-up must not cost
accuracy. Run it on an otherwise idle machine: it measures wall-clock time.
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from weightdist import config as wdconfig  # noqa: E402
from weightdist import data as wddata  # noqa: E402
from weightdist import train as wdtrain  # noqa: E402
from weightdist.device import autocast, effective_precision  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def run_config(model: str, epochs: int) -> wdconfig.RunConfig:
    cfg = wdconfig.load_config(REPO / "config/config.yaml", REPO / "config/cpu.yaml")
    run = wdconfig.run_config(cfg, model, "default", 0)
    d = run.to_dict()
    d["recipe"]["epochs"] = epochs
    d["compute"]["device"] = "cpu"
    return wdconfig.RunConfig.from_dict(d)


def usual_loaders(root: Path, recipe, subset: int):
    """The torchvision way: a Dataset of PIL images, per-sample transforms, a DataLoader."""
    import torchvision
    import torchvision.datasets.cifar as tv_cifar
    from torchvision import transforms as T

    # a locally rebuilt archive has other per-file md5s than the official one: skip torchvision's check
    tv_cifar.check_integrity = lambda *args, **kwargs: True

    class CIFAR10(torchvision.datasets.CIFAR10):
        def _check_integrity(self) -> bool:
            return True

    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    aug = [T.RandomCrop(32, padding=recipe.crop_padding)] if recipe.crop_padding else []
    aug += [T.RandomHorizontalFlip()] if recipe.flip else []
    train = CIFAR10(root, train=True, transform=T.Compose([*aug, T.ToTensor(), T.Normalize(mean, std)]))
    test = CIFAR10(root, train=False, transform=T.Compose([T.ToTensor(), T.Normalize(mean, std)]))
    g = torch.Generator().manual_seed(0)
    train = torch.utils.data.Subset(train, range(min(subset, len(train))))
    return (torch.utils.data.DataLoader(train, batch_size=recipe.batch_size, shuffle=True, generator=g),
            torch.utils.data.DataLoader(test, batch_size=1000))


def step(model, opt, sched, x, y, recipe, device, precision):
    with autocast(device, precision):
        logits = model(x)
    loss = F.cross_entropy(logits.float(), y, label_smoothing=recipe.label_smoothing)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    sched.step()


def images_per_second(batches, model, opt, sched, recipe, device, precision, warmup: int, steps: int) -> float:
    n, t0 = 0, None
    for i, (x, y) in enumerate(batches):
        if i == warmup:
            t0, n = time.perf_counter(), 0
        step(model, opt, sched, x, y, recipe, device, precision)
        n += len(y)
        if i + 1 == warmup + steps:
            break
    return n / (time.perf_counter() - t0)


def accuracy(model, batches, device, precision) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in batches:
            with autocast(device, precision):
                correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    model.train()
    return correct / total


def fresh(run):
    model = wdtrain.make_model(run)
    opt = wdtrain.make_optimizer(model, run.recipe)
    steps = -(-min(50000, run_args.train_subset) // run.recipe.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, wdtrain.lr_factor(run.recipe, steps))
    return model, opt, sched


def ours_throughput(prepared: str, model_name: str, warmup: int, steps: int, subset: int) -> float:
    """images/s of weightdist's loop in this process, one thread (run in worker processes for the parallel case)."""
    global run_args
    run_args = argparse.Namespace(train_subset=subset)
    torch.set_num_threads(1)
    device = torch.device("cpu")
    run = run_config(model_name, 1)
    data = wddata.load_prepared(prepared)
    loader = wddata.DeviceLoader(data.train, run.recipe.batch_size, data.mean, data.std, seed=0, shuffle=True,
                                 crop_padding=run.recipe.crop_padding, flip=run.recipe.flip)
    model, opt, sched = fresh(run)
    model = model.to(memory_format=torch.channels_last)

    def batches():
        for epoch in range(1, 10 ** 6):
            yield from loader.epoch(epoch)

    return images_per_second(batches(), model, opt, sched, run.recipe, device, effective_precision(device, "bf16"),
                             warmup, steps)


def main():
    global run_args
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archive", required=True, help="a cifar-10-python.tar.gz (official or rebuilt)")
    p.add_argument("--model", default="resvgg", choices=["resvgg", "vgg"])
    p.add_argument("--steps", type=int, default=60, help="timed steps per side")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--epochs", type=int, default=0, help="then train both this many epochs and compare accuracy")
    p.add_argument("--train-subset", type=int, default=50000, help="training images for the accuracy comparison")
    run_args = p.parse_args()
    device = torch.device("cpu")
    run = run_config(run_args.model, max(1, run_args.epochs))
    recipe = run.recipe
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(run_args.archive) as tar:
            tar.extractall(tmp, filter="data")
        prepared = Path(tmp) / "cifar10.npz"
        wddata.prepare(run_args.archive, prepared, "skip")
        data = wddata.load_prepared(prepared)
        usual_train, usual_test = usual_loaders(Path(tmp), recipe, run_args.train_subset)
        sub = wddata.Split(data.train.images[:run_args.train_subset], data.train.labels[:run_args.train_subset])
        ours_train = wddata.DeviceLoader(sub, recipe.batch_size, data.mean, data.std, seed=0, shuffle=True,
                                         crop_padding=recipe.crop_padding, flip=recipe.flip)
        ours_test = wddata.DeviceLoader(data.test, 1000, data.mean, data.std)
        precision = effective_precision(device, "bf16")
        default_threads = torch.get_num_threads()

        def usual_epochs():
            for epoch in range(10 ** 6):
                yield from usual_train

        def ours_epochs():
            for epoch in range(1, 10 ** 6):
                yield from ours_train.epoch(epoch)

        torch.set_num_threads(default_threads)
        model, opt, sched = fresh(run)
        usual = images_per_second(usual_epochs(), model, opt, sched, recipe, device, "fp32", run_args.warmup,
                                  run_args.steps)
        torch.set_num_threads(1)
        model, opt, sched = fresh(run)
        model = model.to(memory_format=torch.channels_last)
        ours = images_per_second(ours_epochs(), model, opt, sched, recipe, device, precision, run_args.warmup,
                                 run_args.steps)
        print(f"model {run_args.model} ({sum(p.numel() for p in model.parameters()):,} parameters), batch "
              f"{recipe.batch_size}, crop {recipe.crop_padding}, flip {recipe.flip}, torch {torch.__version__}")
        print(f"{'pipeline':<52} {'img/s':>8}")
        print(f"{'usual: torchvision + PIL + DataLoader, fp32, ' + str(default_threads) + ' threads':<52} "
              f"{usual:>8.0f}")
        print(f"{'weightdist: uint8 tensor, channels_last, ' + precision + ', 1 thread':<52} {ours:>8.0f}")
        print(f"speed-up per training job: {ours / usual:.2f}x")
        # a study is many jobs: the machine runs one usual job (it takes every core), or one of ours per core
        import multiprocessing

        jobs = default_threads
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            each = pool.starmap(ours_throughput, [(str(prepared), run_args.model, run_args.warmup, run_args.steps,
                                                   run_args.train_subset)] * jobs)
        print(f"{'weightdist, ' + str(jobs) + ' jobs at once (sum)':<52} {sum(each):>8.0f}   "
              f"(each: {', '.join(f'{v:.0f}' for v in each)})")
        print(f"speed-up per machine ({jobs} cores): {sum(each) / usual:.2f}x")

        if run_args.epochs:
            results = {}
            for name in ("usual", "weightdist"):
                torch.set_num_threads(default_threads if name == "usual" else 1)
                model, opt, sched = fresh(run)
                if name == "weightdist":
                    model = model.to(memory_format=torch.channels_last)
                t0 = time.perf_counter()
                for epoch in range(1, run_args.epochs + 1):
                    batches = usual_train if name == "usual" else ours_train.epoch(epoch)
                    for x, y in batches:
                        step(model, opt, sched, x, y, recipe, device, "fp32" if name == "usual" else precision)
                test = usual_test if name == "usual" else ours_test.epoch()
                results[name] = (accuracy(model, test, device, "fp32" if name == "usual" else precision),
                                 time.perf_counter() - t0)
            print(f"after {run_args.epochs} epochs on {min(run_args.train_subset, 50000)} images:")
            for name, (acc, seconds) in results.items():
                print(f"  {name:<11} test accuracy {100 * acc:5.2f} %   {seconds:7.1f} s")


if __name__ == "__main__":
    main()
