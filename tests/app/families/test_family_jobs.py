"""What the Families dock's jobs do to the GUI thread besides their own work: the beat-code look-up sorts no
Python strings (an object sort holds the interpreter lock throughout), and the grouping and learning run with
one BLAS and one OpenMP thread, leaving the GUI thread a core of the 2-core target."""
from __future__ import annotations

import numpy as np


def test_class_indices_map_codes_without_sorting_python_strings(monkeypatch):
    from app.families.learn import class_indices

    unique = np.unique

    def no_object_sort(a, *args, **kwargs):
        assert np.asarray(a).dtype != object, "an object array sorted: the GIL held for the whole sort"
        return unique(a, *args, **kwargs)

    monkeypatch.setattr(np, "unique", no_object_sort)
    codes = np.array(["N", "V", "/", "A", "+", "f", "", "Q", "L", "F"], object)
    assert class_indices(codes).tolist() == [0, 2, 5, 1, -1, 5, -1, 4, 0, 3]
    assert class_indices(["V", "N"]).dtype == np.int8 and len(class_indices(np.array([], object))) == 0


def test_grouping_and_learning_run_with_one_blas_and_openmp_thread(qtbot, window, sinus, monkeypatch, tmp_path):
    from threadpoolctl import threadpool_info

    from app.families import install_families
    from app.families import panel as panel_module

    monkeypatch.chdir(tmp_path)  # the adaptation is saved beside the recording's path, here '<sinus>'
    threads: dict[str, list[int]] = {}

    def recorded(name, job):
        def run(*args, **kwargs):
            threads[name] = [p["num_threads"] for p in threadpool_info()]
            return job(*args, **kwargs)
        return run

    monkeypatch.setattr(panel_module, "group_recording", recorded("group", panel_module.group_recording))
    monkeypatch.setattr(panel_module, "learn_from_store", recorded("learn", panel_module.learn_from_store))
    panel = install_families(window)
    c = window.editing.controller
    window.set_recording(sinus)
    assert panel.group()
    qtbot.waitUntil(lambda: panel.families is not None, timeout=60_000)
    b = c.store.beats
    late = c.store.label_mask() & (b["sample"] >= 120 * c.store.fs)
    samples = b["sample"][late].copy()
    c.store.delete(b.ids[late].tolist())
    c.set_suggestions(samples, ["N"] * len(samples), np.full(len(samples), 0.6))
    with qtbot.waitSignal(panel.learnt, timeout=60_000):
        assert panel.learn()
    assert threads["group"] and threads["learn"]
    assert set(threads["group"]) == {1} and set(threads["learn"]) == {1}
