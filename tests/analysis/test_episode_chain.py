"""EpisodeChain: whatever order the chunks run in, each chunk's episodes end up computed from the state after the
chunk before it, as in time order (a running sum stands in for the GRU)."""
from __future__ import annotations

import itertools

import numpy as np

from anyecg_model.analysis.chunks import ChunkResult
from anyecg_model.analysis.episode_chain import EpisodeChain


def _gru(features, state):
    """A stand-in for the ultra-long head: the running sum of the window features from ``state`` (0: none)."""
    out = np.cumsum(features) + (0.0 if state is None else state)
    return out, float(out[-1])


def test_every_order_ends_with_the_time_order_episodes():
    spans = [(0.0, 30.0), (30.0, 60.0), (60.0, 90.0), (90.0, 95.0)]
    features = {a: np.arange(1.0, 4.0) * (k + 1) for k, (a, _) in enumerate(spans)}
    expected, state = {}, None
    for a, _ in spans:
        expected[a], state = _gru(features[a], state)
    for order in itertools.permutations(spans):
        chain, parts = EpisodeChain(spans, _gru), []
        for a, b in order:
            state, exact = chain.start_state(a)
            part = ChunkResult(a, b, np.array([a]), np.array([b]))
            part.episode_prob, state = _gru(features[a], state)
            chain.finished(part, state, exact, features[a])
            parts.append(part)
        assert chain.provisional == []
        for part in parts:
            np.testing.assert_array_equal(part.episode_prob, expected[part.start_s], err_msg=str(order))


def test_a_chunk_before_its_predecessor_stays_provisional_until_then():
    spans = [(0.0, 30.0), (30.0, 60.0)]
    chain = EpisodeChain(spans, _gru)
    assert chain.start_state(30.0) == (None, False)
    part = ChunkResult(30.0, 60.0, np.array([30.0]), np.array([60.0]), episode_prob=np.array([1.0]))
    chain.finished(part, 1.0, False, np.array([1.0]))
    assert chain.provisional == [30.0]
    chain.finished(ChunkResult(0.0, 30.0, np.array([0.0]), np.array([30.0])), 5.0, True, np.array([5.0]))
    assert chain.provisional == [] and part.episode_prob.tolist() == [6.0]
