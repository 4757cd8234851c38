"""WAVE-style annotation search and go-to-time parsing (plain Python, testable without Qt).

Search targets are either a single MIT-BIH code (``V``, ``A``, ``+``…) or a group:
``any ventricular ectopic`` (V, E, r) and ``any supraventricular ectopic`` (A, a, J, S, e, j, n),
following the MIT-BIH definitions of ectopic (premature or escape) beats of each origin.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

from anyecg_model.io.annotations import Annotations

GROUPS: dict[str, frozenset[str]] = {
    "any ventricular ectopic": frozenset("V E r".split()),
    "any supraventricular ectopic": frozenset("A a J S e j n".split()),
}


def search_targets(annotations: Annotations) -> list[str]:
    """Groups first, then every code present in the file (most frequent first)."""
    counts = Counter(annotations.symbol.tolist())
    return list(GROUPS) + sorted(counts, key=lambda s: (-counts[s], s))


def _mask(annotations: Annotations, target: str) -> np.ndarray:
    codes = GROUPS.get(target, frozenset([target]))
    return np.isin(annotations.symbol, list(codes))


def find_annotation(annotations: Annotations, target: str, after_sample: float, forward: bool = True) -> int | None:
    """Sample of the next (``forward``) or previous annotation matching ``target`` strictly after/before
    ``after_sample``; None when there is none."""
    samples = annotations.sample[_mask(annotations, target)]
    if forward:
        k = np.searchsorted(samples, after_sample, side="right")
        return int(samples[k]) if k < len(samples) else None
    k = np.searchsorted(samples, after_sample, side="left") - 1
    return int(samples[k]) if k >= 0 else None


_TIME = re.compile(r"^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?)\s*$")


def parse_time(text: str) -> float:
    """Seconds from ``h:mm:ss(.s)``, ``mm:ss(.s)`` or ``ss(.s)``; raises ValueError on anything else."""
    m = _TIME.match(text)
    if not m:
        raise ValueError(f"not a time: {text!r} (use h:mm:ss, mm:ss or seconds)")
    a, b, s = m.groups()
    if a is not None and b is not None:
        return int(a) * 3600 + int(b) * 60 + float(s)
    if a is not None:
        return int(a) * 60 + float(s)
    return float(s)
