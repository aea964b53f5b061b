"""Models and initialisations: names, shapes, and each initialisation against its theoretical spread."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from weightdist.config import Architecture
from weightdist.inits import expected_std, fans, initialise
from weightdist.models import build_model

WIDE = Architecture("vgg", ((64, 64), (128, 128), (256, 256)), (512, 256))


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class TestModels:
    def test_parameter_names(self):
        """Readable, stable names: conv/bn numbered through the net, shortcuts per stage, fc1..fc3."""
        res = build_model(Architecture("resvgg", ((8, 8), (16, 16)), (32, 16)))
        names = {n.rsplit(".", 1)[0] for n, _ in res.named_parameters()}
        assert names == {"conv1", "bn1", "conv2", "bn2", "shortcut1", "shortcut_bn1", "conv3", "bn3", "conv4", "bn4",
                         "shortcut2", "shortcut_bn2", "fc1", "fc2", "fc3"}
        plain = build_model(Architecture("vgg", ((8, 8), (16, 16)), (32, 16)))
        assert {n for n, _ in plain.named_parameters()} == {f"conv{k}.{r}" for k in range(1, 5) for r in
                                                            ("weight", "bias")} | {f"fc{k}.{r}" for k in range(1, 4)
                                                                                   for r in ("weight", "bias")}

    def test_conv_layers_face_each_other(self):
        """conv k has the same shape in both models, so their histograms compare like with like."""
        a = build_model(Architecture("resvgg", WIDE.stages, WIDE.fc_hidden)).state_dict()
        b = build_model(WIDE).state_dict()
        for k in range(1, 7):
            assert a[f"conv{k}.weight"].shape == b[f"conv{k}.weight"].shape

    def test_forward_and_record(self):
        """Logits have 10 classes; `record` receives every ReLU output (conv and hidden fc) and they are >= 0."""
        model = build_model(Architecture("resvgg", ((8,), (16,)), (32, 16)))
        record = {}
        out = model(torch.randn(5, 3, 32, 32), record=record)
        assert out.shape == (5, 10)
        assert set(record) == {"conv1", "conv2", "fc1", "fc2"}
        assert all(bool((v >= 0).all()) for v in record.values())


class TestInitialisations:
    @pytest.mark.parametrize("name", ["default", "he", "xavier", "orthogonal"])
    def test_std_per_layer(self, name):
        """The empirical std of every conv and linear weight matches theory within sampling error."""
        model = build_model(WIDE)
        initialise(model, name, generator())
        for layer_name, module in model.named_modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                w = module.weight.detach()
                theory = expected_std(name, w)
                # the sample sd of n iid values has relative error about 1/sqrt(2n); allow 6 of those + 1 %
                tolerance = 6 / math.sqrt(2 * w.numel()) + 0.01
                if name == "orthogonal":
                    tolerance = max(tolerance, 0.05)   # rows of one orthonormal matrix are not independent
                assert abs(w.std().item() / theory - 1) < tolerance, (layer_name, w.std().item(), theory)

    def test_he_is_normal_xavier_and_default_uniform(self):
        """He draws a normal (unbounded), Xavier and default draw uniforms bounded by sqrt(3) sd."""
        model = build_model(WIDE)
        w = model.fc1.weight
        for name, bounded in (("he", False), ("xavier", True), ("default", True)):
            initialise(model, name, generator())
            ratio = w.abs().max().item() / expected_std(name, w)
            assert (ratio <= math.sqrt(3) + 1e-4) == bounded, (name, ratio)

    def test_orthogonal_rows(self):
        """Orthogonal: the flattened (out, in*k*k) weight has orthonormal rows (or columns)."""
        model = build_model(WIDE)
        initialise(model, "orthogonal", generator())
        for module in (model.conv1, model.conv4, model.fc1, model.fc3):
            w = module.weight.detach().flatten(1)
            gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
            assert torch.allclose(gram, torch.eye(len(gram)), atol=1e-4)

    def test_biases_and_bn(self):
        """He, Xavier, orthogonal zero the biases; default keeps U(+-1/sqrt(fan_in)); BN starts at gamma 1, beta 0."""
        for name in ("he", "xavier", "orthogonal", "default"):
            model = build_model(WIDE)
            initialise(model, name, generator())
            b, bound = model.conv3.bias, 1 / math.sqrt(fans(model.conv3.weight)[0])
            if name == "default":
                assert b.abs().max().item() <= bound and b.abs().max().item() > 0.5 * bound
            else:
                assert torch.count_nonzero(b) == 0
        res = build_model(Architecture("resvgg", ((8,), (16,)), (32, 16)))
        initialise(res, "he", generator())
        assert torch.equal(res.bn1.weight, torch.ones(8)) and torch.equal(res.bn1.bias, torch.zeros(8))

    def test_seeded(self):
        """Same generator seed, same weights; another seed, other weights."""
        a, b, c = build_model(WIDE), build_model(WIDE), build_model(WIDE)
        initialise(a, "he", generator(1))
        initialise(b, "he", generator(1))
        initialise(c, "he", generator(2))
        assert torch.equal(a.conv2.weight, b.conv2.weight) and not torch.equal(a.conv2.weight, c.conv2.weight)

    @pytest.mark.parametrize("module", [nn.Linear(50, 20), nn.Conv2d(8, 16, 3)])
    def test_default_matches_pytorch(self, module):
        """'default' reproduces PyTorch's own reset_parameters draw for draw (same seed, same numbers)."""
        initialise(module, "default", generator(4))
        ours = {k: v.clone() for k, v in module.state_dict().items()}
        torch.manual_seed(4)
        module.reset_parameters()
        for k, v in module.state_dict().items():
            assert torch.equal(v, ours[k]), k
