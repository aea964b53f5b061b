"""Measures, comparisons and claims against constructed inputs with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import run_config

from weightdist import claims, compare, measures
from weightdist.config import Architecture
from weightdist.data import DeviceLoader
from weightdist.models import build_model


def orthogonal(n: int, rng) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return q


class TestFilters:
    def test_orthogonal_filters_are_diverse(self):
        """Orthonormal rows: mean |cos| 0, norms 1 with no spread."""
        m = measures.filter_measures(orthogonal(16, np.random.default_rng(0)))
        assert m["mean_abs_cos"] == pytest.approx(0, abs=1e-12)
        assert m["filter_norm_mean"] == pytest.approx(1) and m["filter_norm_cv"] == pytest.approx(0, abs=1e-12)

    def test_collinear_filters(self):
        """Rows that are multiples (or negatives) of one another: mean |cos| 1; conv shape is flattened."""
        base = np.random.default_rng(1).normal(size=(1, 3, 3, 3))
        w = np.concatenate([base, -2 * base, 3 * base])
        assert measures.filter_measures(w)["mean_abs_cos"] == pytest.approx(1)


class TestChangeFromInit:
    def test_known_changes(self):
        """Rows of norm 2; two untouched, one moved by a vector of norm 1, one by norm 3: the layer moved
        sqrt(1 + 9) / sqrt(4 * 4), half its units under 10 %, per-unit changes 0, 0, 0.5, 1.5."""
        w0 = 2 * np.eye(4)
        w = w0.copy()
        w[2, 3] += 1.0
        w[3, 0] += 3.0
        m = measures.change_measures(w, w0)
        assert m["rel_change"] == pytest.approx(np.sqrt(10) / 4)
        assert m["static_frac"] == 0.5
        unit = np.array([0, 0, 0.5, 1.5])
        assert m["unit_change_cv"] == pytest.approx(unit.std() / unit.mean())

    def test_conv_shape_and_no_change(self):
        w0 = np.random.default_rng(5).normal(size=(6, 3, 3, 3))
        m = measures.change_measures(w0, w0)
        assert m["rel_change"] == 0 and m["static_frac"] == 1 and np.isnan(m["unit_change_cv"])
        assert all(np.isnan(v) for v in measures.change_measures(w0, None).values())


class TestSpectra:
    def test_known_singular_values(self):
        """W = U diag(s) V^T: Frobenius sqrt(sum s^2), spectral max s, stable rank sum s^2 / max s^2."""
        rng = np.random.default_rng(2)
        s = np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.25])
        w = orthogonal(6, rng) @ np.diag(s) @ orthogonal(6, rng)
        m = measures.spectral_measures(w)
        assert m["frobenius"] == pytest.approx(np.sqrt((s ** 2).sum()))
        assert m["spectral_norm"] == pytest.approx(5)
        assert m["stable_rank"] == pytest.approx((s ** 2).sum() / 25)
        assert m["n_eigenvalues"] == 6 and not m["alpha_reliable"]

    @pytest.mark.parametrize("alpha", [2.0, 3.5])
    def test_power_law_exponent(self, alpha):
        """Eigenvalues drawn from a power law p(x) ~ x^-alpha: the fit recovers alpha."""
        rng = np.random.default_rng(3)
        eig = (1 - rng.uniform(size=3000)) ** (-1 / (alpha - 1))
        fitted, xmin, ks = measures.powerlaw_alpha(eig)
        assert fitted == pytest.approx(alpha, abs=0.15) and ks < 0.05

    def test_matrix_with_power_law_spectrum(self):
        """A 400x400 matrix whose W^T W eigenvalues follow a power law: alpha recovered, flagged reliable."""
        rng = np.random.default_rng(4)
        eig = (1 - rng.uniform(size=400)) ** (-1 / 2.0)          # alpha = 3
        w = orthogonal(400, rng) @ np.diag(np.sqrt(eig)) @ orthogonal(400, rng)
        m = measures.spectral_measures(w)
        assert m["alpha"] == pytest.approx(3.0, abs=0.4) and m["alpha_reliable"]

    def test_small_spectrum_flagged(self):
        """Under 50 eigenvalues the fit is marked unreliable (conv1 of a width-32 net has 27)."""
        assert not measures.spectral_measures(np.random.default_rng(5).normal(size=(32, 27)))["alpha_reliable"]


class TestBatchNormFolding:
    def test_folded_conv_equals_conv_then_bn(self):
        """conv(x, W_eff) equals BN(conv(x)) up to a per-channel constant, in eval mode."""
        model = build_model(Architecture("resvgg", ((6,), (8,)), (16, 12))).eval()
        with torch.no_grad():
            model.bn1.weight.uniform_(0.5, 1.5)
            model.bn1.running_var.uniform_(0.2, 3.0)
            model.bn1.running_mean.uniform_(-1, 1)
        state = {k: v.numpy() for k, v in model.state_dict().items() if v.is_floating_point()}
        _, w_eff = measures.effective_weights(state)["conv1"]
        x = torch.randn(4, 3, 32, 32)
        with torch.no_grad():
            reference = model.bn1(model.conv1(x))
            folded = torch.nn.functional.conv2d(x, torch.from_numpy(w_eff), padding=1)
        offset = (reference - folded).mean(dim=(0, 2, 3), keepdim=True)
        assert torch.allclose(reference, folded + offset, atol=1e-4)

    def test_plain_layers_unchanged(self):
        """Layers without BN (vgg convs, fc layers) have effective = raw."""
        model = build_model(Architecture("vgg", ((6,),), (16, 12)))
        state = {k: v.numpy() for k, v in model.state_dict().items()}
        for layer, (raw, eff) in measures.effective_weights(state).items():
            assert np.array_equal(raw, eff), layer


class TestDeadUnits:
    def test_constructed_dead_and_live_units(self, data):
        """A conv channel with a huge negative bias is dead, one with a huge positive bias always active."""
        model = build_model(Architecture("vgg", ((8,), (8,)), (16, 12))).eval()
        with torch.no_grad():
            model.conv1.weight[:2] = 0
            model.conv1.bias[0], model.conv1.bias[1] = -1e6, 1e6
            model.fc1.weight[:3] = 0
            model.fc1.bias[:3] = -1.0                               # 3 of 16 fc1 neurons dead
        loader = DeviceLoader(data.test, 50, data.mean, data.std, channels_last=False)
        rates = measures.activation_rates(model, loader, torch.device("cpu"))
        assert rates["conv1"][0] == 0 and rates["conv1"][1] == 1
        u = measures.unit_measures(rates["fc1"])
        assert u["units"] == 16 and u["dead_frac"] >= 3 / 16 and u["rare_frac"] >= u["dead_frac"]
        assert measures.unit_measures(rates["conv1"])["dead_frac"] == pytest.approx(1 / 8)

    def test_run_measures_table(self, smoke_config, data, prepared, tmp_path):
        """One row per snapshot x layer x variant; dead units only on raw rows of layers with a ReLU."""
        from weightdist import train as wdtrain
        from weightdist.weights import write_weights

        run = run_config(smoke_config, "resvgg", "he", 0)
        path = tmp_path / "weights.h5"
        write_weights(path, run, wdtrain.train(run, data, log=lambda s: None))
        table = measures.run_measures(path, prepared)
        layers = {"conv1", "conv2", "conv3", "conv4", "shortcut1", "shortcut2", "fc1", "fc2", "fc3"}
        assert len(table) == 3 * len(layers) * 2 and set(table.layer) == layers
        raw = table[table.variant == "raw"]
        assert raw[raw.layer.isin(["conv1", "fc1"])].dead_frac.notna().all()
        assert raw[raw.layer.isin(["fc3", "shortcut1"])].dead_frac.isna().all()
        start = table[table.epoch == 0]
        assert (start.rel_change == 0).all() and (start.static_frac == 1).all()
        assert (table[table.epoch > 0].rel_change > 0).all()


class TestGroupComparison:
    x = np.linspace(0, 1, 2001)

    def test_known_distances(self):
        """A uniform sample and the same shifted by 0.3: KS 0.3, Wasserstein-1 0.3."""
        ks, w1 = compare.distances(self.x, self.x + 0.3)
        assert ks == pytest.approx(0.3, abs=1e-3) and w1 == pytest.approx(0.3, abs=1e-9)

    def test_differs_only_beyond_seed_noise(self):
        """Groups 0.3 apart with seeds 0.01 apart differ; groups whose seeds straddle each other do not."""
        x = self.x
        apart = compare.compare_samples([x, x + 0.01], [x + 0.3, x + 0.31])
        assert apart["differs"] and apart["ks_ratio"] > 10
        mixed = compare.compare_samples([x, x + 0.3], [x + 0.01, x + 0.31])
        assert not mixed["differs"]
        single = compare.compare_samples([x], [x + 0.3])
        assert not single["differs"]   # one seed per group cannot show what seed noise is

    def test_spearman_bootstrap(self):
        """A monotone relation has rho 1 and a tight interval; independent noise has an interval around 0."""
        rng = np.random.default_rng(0)
        x = np.arange(20.0)
        rho, lo, hi = compare.spearman_bootstrap(x, x ** 3, rng)
        assert rho == pytest.approx(1) and lo == pytest.approx(1)
        rho, lo, hi = compare.spearman_bootstrap(rng.normal(size=40), rng.normal(size=40), rng)
        assert lo < 0 < hi

    def test_correlation_table(self):
        """accuracy_correlations gives one row per scope x measure x layer with the run count."""
        rng = np.random.default_rng(1)
        feats = pd.DataFrame({"model": ["vgg"] * 10 + ["resvgg"] * 10, "init": "he", "seed": list(range(20)),
                              "test_acc": rng.uniform(size=20), "measure": "std", "layer": "conv1",
                              "value": rng.uniform(size=20)})
        table = compare.accuracy_correlations(feats)
        assert set(table.scope) == {"all", "vgg", "resvgg"} and table.set_index("scope").n_runs["all"] == 20


class TestVerdicts:
    def test_rules(self):
        """holds: all / none / some seeds; greater: every pair, needs 2 seeds; combine: any contradiction wins."""
        assert claims.holds([1, 2], lambda v: v > 0) == claims.SUPPORTED
        assert claims.holds([-1, -2], lambda v: v > 0) == claims.CONTRADICTED
        assert claims.holds([1, -2], lambda v: v > 0) == claims.INCONCLUSIVE
        assert claims.greater([3, 4], [1, 2]) == claims.SUPPORTED
        assert claims.greater([1, 2], [3, 4]) == claims.CONTRADICTED
        assert claims.greater([1, 3], [2, 4]) == claims.INCONCLUSIVE
        assert claims.greater([3], [1]) == claims.INCONCLUSIVE
        assert claims.combine(claims.SUPPORTED, claims.SUPPORTED) == claims.SUPPORTED
        assert claims.combine(claims.SUPPORTED, claims.CONTRADICTED) == claims.CONTRADICTED
        assert claims.combine(claims.SUPPORTED, claims.INCONCLUSIVE) == claims.INCONCLUSIVE
