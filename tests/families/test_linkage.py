"""Average linkage by the nearest-neighbour chain in NumPy steps equals SciPy's, ties included."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import linkage

from anyecg_model.families.linkage import average_linkage


@pytest.mark.parametrize("n, d", [(2, 3), (3, 1), (17, 2), (400, 12)])
def test_average_linkage_equals_scipys(n, d):
    x = np.random.default_rng(n).normal(size=(n, d))
    assert np.array_equal(average_linkage(x), linkage(x, "average"))


def test_average_linkage_equals_scipys_with_ties():
    x = np.round(np.random.default_rng(0).normal(size=(200, 2)), 1)  # many equal distances
    x = np.concatenate([x, x[:40]])  # and points at distance 0
    assert np.array_equal(average_linkage(x), linkage(x, "average"))


def test_average_linkage_needs_two_points():
    with pytest.raises(ValueError):
        average_linkage(np.zeros((1, 3)))
