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


def test_distances_to_templates_work_in_small_blocks():
    """The beats' distances to the templates are exact and their temporaries stay small (blocks of
    ``DISTANCE_BLOCK`` rows): 65,536-row blocks made ~100-MB temporaries on a 24-h Holter."""
    import tracemalloc

    from anyecg_model.families.cluster import sq_distances

    rng = np.random.default_rng(0)
    x, templates = rng.standard_normal((70_000, 16), np.float32), rng.standard_normal((300, 16), np.float32)
    tracemalloc.start()
    d = sq_distances(x, templates)
    peak = tracemalloc.get_traced_memory()[1] - d.nbytes
    tracemalloc.stop()
    near = ((x[:50, None, :] - templates[None]) ** 2).sum(2)
    assert np.allclose(d[:50], near, rtol=1e-4, atol=1e-3)
    assert peak < 20e6  # bytes besides the (70,000, 300) result
