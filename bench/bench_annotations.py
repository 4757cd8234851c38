"""Benchmark: single edits on a 24-hour annotation store with 100,000 beats.

Core table: median and 95th-percentile milliseconds per store operation, without the autosave journal, and
medians with it (one JSON line per edit, fsynced on the journal's background thread, or inline). ``--gui``: one edit through the viewer's edit controller plus a
synchronous repaint of the trace view (traces, grid and the one-item beat lanes), offscreen, 10 s in view.
Usage: ``python bench/bench_annotations.py [--beats 100000] [--reps 200] [--gui]``.
"""
from __future__ import annotations

import argparse
import logging
import tempfile
import time

import numpy as np

from anyecg_model.annotations import AnnotationStore, BeatTable, EpisodeTable, Journal, bulk_accept, set_suggestions

log = logging.getLogger("bench_annotations")

FS = 250.0
N_SAMPLES = int(24 * 3600 * FS)


def holter_store(n_beats: int) -> AnnotationStore:
    """24 h at 250 Hz with ``n_beats`` reference beats (about 69 bpm for 100,000) and one N episode."""
    rng = np.random.default_rng(0)
    samples = np.sort(rng.choice(N_SAMPLES, n_beats, replace=False))
    codes = np.where(rng.random(n_beats) < 0.05, "V", "N").astype(object)
    beats = BeatTable.from_columns(np.arange(n_beats), sample=samples, code=codes,
                                   source=np.full(n_beats, "reference", object), author=np.full(n_beats, "atr", object))
    episodes = EpisodeTable.from_columns([n_beats], start=[0], stop=[N_SAMPLES], code=["N"], source=["reference"])
    return AnnotationStore(FS, N_SAMPLES, beats, episodes, author="bench", content_hash="bench0hash")


def timed(fn, reps: int, setup=None) -> tuple[float, float]:
    """Median and 95th percentile (ms) of ``fn(k)``; ``setup(k)`` runs untimed before each call."""
    times = []
    for k in range(reps):
        if setup is not None:
            setup(k)
        t0 = time.perf_counter()
        fn(k)
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times)), float(np.percentile(times, 95))


def run(n_beats: int, reps: int, journal: str | None) -> list[tuple[str, float, float]]:
    """Store operations; ``journal``: None, or the journal's fsync mode (``background`` or ``inline``)."""
    store = holter_store(n_beats)
    tmp = tempfile.TemporaryDirectory()
    if journal:
        Journal(Journal.for_recording(store.content_hash, tmp.name).directory, fsync=journal).attach(store)
    rng = np.random.default_rng(1)
    where = rng.integers(0, N_SAMPLES, reps)
    rows: list[tuple[str, float, float]] = []
    new_ids: list[int] = []
    rows.append(("insert beat", *timed(lambda k: new_ids.append(store.insert_beat(int(where[k]), "V")), reps)))
    pick = store.beats.ids[rng.integers(0, len(store.beats), reps)]
    rows.append(("relabel beat", *timed(lambda k: store.relabel([int(pick[k])], "A" if k % 2 else "F"), reps)))
    rows.append(("move beat", *timed(lambda k: store.move(new_ids[k], int(where[k]) + 3), reps)))
    rows.append(("delete beat", *timed(lambda k: store.delete([new_ids[k]]), reps)))
    rows.append(("undo", *timed(lambda k: store.undo(), reps)))
    rows.append(("redo", *timed(lambda k: store.redo(), reps)))
    span = int(60 * FS)
    rows.append(("relabel 1-min span", *timed(lambda k: store.relabel_span(int(where[k]), int(where[k]) + span, "L"),
                                               max(10, reps // 10))))
    rows.append(("rhythm span", *timed(lambda k: store.set_rhythm(int(where[k]), int(where[k]) + span, "AFIB"),
                                        max(10, reps // 10))))
    n = len(store.beats)
    t0 = time.perf_counter()
    set_suggestions(store, store.beats["sample"] + 2, ["N"] * n, np.linspace(0.3, 1.0, n))
    rows.append((f"set {n} suggestions", (time.perf_counter() - t0) * 1e3, float("nan")))
    t0 = time.perf_counter()
    bulk_accept(store, 0.9)
    rows.append(("bulk accept ≥ 0.9", (time.perf_counter() - t0) * 1e3, float("nan")))
    tmp.cleanup()
    return rows


def gui_run(n_beats: int, reps: int, journal: str | None) -> list[tuple[str, float, float]]:
    """Edit + synchronous repaint through :class:`app.editing.EditController` on a 24 h, 1-lead recording."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    from anyecg_model.io import Annotations, Recording
    from app.editing import EditController
    from app.trace_view import TraceView

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    store = holter_store(n_beats)
    samples = store.beats["sample"]
    signal = np.zeros((1, N_SAMPLES), np.float32)
    for k in range(-3, 4):
        signal[0, np.clip(samples + k, 0, N_SAMPLES - 1)] = 1.0 - abs(k) / 4
    ann = Annotations.from_lists(samples, store.beats["code"], source="atr")
    rec = Recording.from_array(signal, FS, ["II"], path="<bench-24h>", annotations=ann)
    window = QtWidgets.QMainWindow()
    window.trace = TraceView()
    window.setCentralWidget(window.trace)
    window.resize(1600, 900)
    window.show()
    window.trace.set_recording(rec)
    controller = EditController(window)
    tmp = tempfile.TemporaryDirectory()
    full = AnnotationStore.from_recording(rec, content_hash="bench0gui")
    controller.set_store(full, Journal(Journal.for_store(full, tmp.name).directory, fsync=journal) if journal else None)
    controller.set_editing(True)
    t_mid = 12 * 3600.0
    window.trace.set_view(t_mid, t_mid + 10.0)
    window.trace.wait_rendered()
    viewport = window.trace.plot.viewport()
    in_view = samples[(samples >= t_mid * FS) & (samples < (t_mid + 10) * FS)]

    def redraw(edit):
        """The edit, then a synchronous repaint of the whole plot (grid, traces, lanes)."""
        def step(k):
            edit(k)
            viewport.repaint()
        return step

    def relabel(k):
        controller.select_beat(full.nearest_beat(int(in_view[k % len(in_view)])))
        controller.set_code("V" if k % 2 else "A")

    # every timed insert is undone untimed (and every timed undo prepared by an untimed relabel), so the
    # view keeps its dozen beats and the store its 100,000
    insert = (lambda k: controller.insert_at(t_mid + 0.3 + (k % 90) * 0.1), lambda k: controller.undo())
    from app.editing.lanes import StoreBeatLane

    lane_ms: list[float] = []
    plain_paint = StoreBeatLane.paint

    def timed_paint(self, painter, *args):
        t0 = time.perf_counter()
        plain_paint(self, painter, *args)
        if self is controller.label_lane:
            lane_ms.append((time.perf_counter() - t0) * 1e3)

    StoreBeatLane.paint = timed_paint
    rows = [("insert beat (snap) + repaint", *timed(redraw(insert[0]), reps, lambda k: k and insert[1](k))),
            ("relabel beat + repaint", *timed(redraw(relabel), reps)),
            ("undo + repaint", *timed(redraw(lambda k: controller.undo()), reps, relabel)),
            ("repaint only", *timed(redraw(lambda k: None), reps))]
    StoreBeatLane.paint = plain_paint
    rows.append(("beat-lane paint alone (all runs above)", float(np.median(lane_ms)), float(np.percentile(lane_ms, 95))))
    lane = controller.label_lane
    log.info("label lane painted %d of %d beats", lane.last_drawn, len(full.beats))
    controller.set_store(None)
    window.trace.set_recording(None)
    window.close()
    app.processEvents()
    tmp.cleanup()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--gui", action="store_true", help="also time edit + repaint in the viewer (offscreen)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    modes = (None, "background", "inline")
    results = {j: run(args.beats, args.reps, j) for j in modes}
    if args.gui:
        results = {j: results[j] + gui_run(args.beats, args.reps, j) for j in modes}
    lines = [f"24 h store, {args.beats} beats, {args.reps} reps (ms)",
             "| operation | median | p95 | median, journal (fsync in background) | median, journal (fsync inline) |",
             "|---|---|---|---|---|"]
    for (name, med, p95), (_, bmed, _), (_, imed, _) in zip(*(results[j] for j in modes)):
        lines.append(f"| {name} | {med:.2f} | {p95:.2f} | {bmed:.2f} | {imed:.2f} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
