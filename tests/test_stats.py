"""Distribution statistics against known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from weightdist.stats import describe


class TestDescribe:
    def test_normal(self):
        """A large normal sample: mean, sd, zero skew and excess kurtosis, 7.97 % within 0.1 sd of 0."""
        w = np.random.default_rng(0).normal(0.5, 2.0, size=400_000) - 0.5
        d = describe(w, near_zero_rel=0.1)
        assert d["mean"] == pytest.approx(0, abs=0.02) and d["std"] == pytest.approx(2.0, rel=0.01)
        assert abs(d["skew"]) < 0.02 and abs(d["kurtosis"]) < 0.04
        assert d["frac_near_zero"] == pytest.approx(2 * st.norm.cdf(0.1) - 1, abs=0.003)
        assert d["q50"] == pytest.approx(0, abs=0.02) and d["q95"] == pytest.approx(1.645 * 2, rel=0.02)

    def test_known_shapes(self):
        """Exponential: skew 2, excess kurtosis 6; uniform: excess kurtosis -1.2."""
        rng = np.random.default_rng(1)
        e = describe(rng.exponential(size=2_000_000))
        assert e["skew"] == pytest.approx(2, rel=0.05) and e["kurtosis"] == pytest.approx(6, rel=0.1)
        u = describe(rng.uniform(-1, 1, size=1_000_000))
        assert u["kurtosis"] == pytest.approx(-1.2, abs=0.01)

    def test_exact_small(self):
        """Exact values on a small vector: n, min, max, L2 norm, share below the absolute threshold."""
        d = describe(np.array([-3.0, 0.0, 0.005, 4.0]), near_zero_abs=0.01)
        assert d["n"] == 4 and d["min"] == -3 and d["max"] == 4
        assert d["l2"] == pytest.approx(np.sqrt(9 + 0.005 ** 2 + 16))
        assert d["frac_abs_below"] == 0.5

    def test_constant(self):
        """A constant tensor (BN gamma at init) has sd 0, undefined skew/kurtosis, nothing near zero."""
        d = describe(np.ones(16))
        assert d["std"] == 0 and np.isnan(d["skew"]) and np.isnan(d["kurtosis"]) and d["frac_near_zero"] == 0
        assert describe(np.zeros(8))["frac_near_zero"] == 1
