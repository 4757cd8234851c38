"""The store's fingerprint text of an object column is ``"\\x1f".join(map(repr, values))`` whichever path computes
it (journals are named by the fingerprint: a different text would orphan every journal written before)."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.annotations.store import repr_joined

CASES = [
    [],
    [""],
    ["N", "V", "", "(AFIB", "reference", "atr"],
    ["N"] * 1000,
    ["it's"],  # repr switches to double quotes
    ['say "x"', "it's"],
    ["back\\slash"],
    ["tab\there", "N"],
    ["unit\x1fsep", "N"],  # the separator inside a value
    ["µV", "Ünïcode", "心电图"],
    ["\u200b"],  # not printable: repr escapes it
    [np.str_("N"), "V"],  # a str subclass has its own repr
    ["N", None, 3, 2.5],
    [()] * 5,
    [(), ("N", 0.9)],
    [(), "N"],
]


@pytest.mark.parametrize("values", CASES, ids=range(len(CASES)))
def test_fast_text_is_the_repr_join(values):
    assert repr_joined(values) == "\x1f".join(map(repr, values))
