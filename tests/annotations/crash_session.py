"""An editing session that journals every edit and runs until it is killed (the crash test's subprocess).

Run as ``python crash_session.py JOURNAL_ROOT``: it prints the number of each edit after the edit call has
returned, then keeps editing. Each step logs exactly one entry, so the journal's entry count says how far
the session got.
"""
from __future__ import annotations

import sys

import numpy as np

from anyecg_model.annotations import AnnotationStore, BeatTable, EpisodeTable, Journal

FS, N = 250.0, 250 * 3600
CONTENT_HASH = "crash0test"
CODES = ["V", "A", "L", "F"]


def base_store() -> AnnotationStore:
    samples = np.arange(100, N, 200)
    beats = BeatTable.from_columns(np.arange(len(samples)), sample=samples, code=["N"] * len(samples),
                                   source=["reference"] * len(samples))
    episodes = EpisodeTable.from_columns([len(samples)], start=[0], stop=[N], code=["N"], source=["reference"])
    return AnnotationStore(FS, N, beats, episodes, author="crash", clock=lambda: 1.7e9, content_hash=CONTENT_HASH)


def step(store: AnnotationStore, k: int) -> None:
    """Edit number ``k``: mostly inserts and relabels, with moves, rhythm spans, deletes and undos."""
    ids = store.beats.ids
    target = int(ids[(k * 7919) % len(ids)])
    if k % 11 == 10 and store.log.can_undo:
        store.undo()
    elif k % 13 == 12 and store.log.can_redo:
        store.redo()
    elif k % 5 == 1:
        row = store.beats.row(target)
        store.relabel([target], CODES[(CODES.index(row["code"]) + 1) % 4] if row["code"] in CODES else "V")
    elif k % 5 == 2:
        store.move(target, (store.beats.row(target)["sample"] + 17) % N)
    elif k % 5 == 3:
        store.set_rhythm((k * 1000) % (N - 5000), (k * 1000) % (N - 5000) + 2500, "AFIB" if k % 2 else "VT")
    elif k % 5 == 4:
        store.delete([target])
    else:
        store.insert_beat((k * 104_729) % N, CODES[k % 4])


def main(root: str) -> None:
    store = base_store()
    Journal.for_recording(CONTENT_HASH, root).attach(store)
    k = 0
    while True:
        step(store, k)
        sys.stdout.write(f"{k}\n")
        sys.stdout.flush()
        k += 1


if __name__ == "__main__":
    main(sys.argv[1])
