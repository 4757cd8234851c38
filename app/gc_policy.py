"""The viewer's garbage-collector policy: no collection traverses the start-up heap again.

CPython's cyclic collector runs a generation-2 ("full") collection once the objects that survived into
generation 2 since the last full one exceed a quarter of the ones it kept then. A full collection
traverses every tracked container of the process (functions, dicts, tuples, classes, Qt wrappers …) and
holds the GIL throughout, on whichever thread happened to allocate: one on a worker thread stalls the GUI
thread just the same. The viewer holds ~160,000 such objects once its window is built (PySide6,
pyqtgraph, NumPy, SciPy and our modules), and on the 2-core benchmark machine one full pass over them
took 140–290 ms (``bench/bench_gui_open_scroll.py`` times every collection with ``gc.callbacks``).
Opening the 24-hour recording set off such passes: on the heart-rate worker, whose first
``detect_r_peaks`` imports NeuroKit2 (with matplotlib and scikit-learn: ~80,000 new objects); on the
analysis relay thread; and on the GUI thread, where a 20-MB autosave journal was read into a million
small dicts.

:func:`settle_startup_heap` runs once, when start-up is done (``anyecg-viewer`` calls it after building the
window, before opening a file): one collection, then :func:`gc.freeze`. The modules, classes and widgets
alive then live as long as the process; in the permanent generation no later collection traverses them,
so a full collection costs in proportion to what was created since (a recording's state, a lazily
imported library), not to the whole process: the full pass during the NeuroKit2 import fell to 24–48 ms.
Collections stay on, with the default thresholds: cyclic garbage made later is still found.

Deliberately not done:

* pausing the collector around the NeuroKit2 import (``gc.disable`` / ``gc.enable``): the import's 80,000
  objects then sit in generation 0 and the first collection after it traverses them all at once
  (78–104 ms measured, no better than without the pause);
* a second ``gc.freeze`` after the NeuroKit2 import: it would also freeze the open recording's viewer state,
  and whatever of it later became cyclic garbage (on opening the next file) could never be collected.

Libraries imported by a job of the Families dock are the exception, made safe: :func:`import_frozen`. Grouping
imports SciPy's filters, clustering and distances (~45,000 objects), *Learn this patient* scikit-learn with
pandas and scipy.stats (~56,000); each import ran a dozen full collections on the worker, the last ones over
the whole import so far (30–37 ms while grouping, 61–94 ms while learning the 24-h join, the GUI thread waiting
for the GIL each time). :func:`import_frozen` holds full collections off during the import (a generation-2
threshold no count reaches; generations 0 and 1 still run), collects the young generations, then freezes: the
import's objects are never traversed again. There is no way to freeze only them, so the open recording's
state (a few thousand objects: it keeps its data in arrays, which the collector does not track) is frozen
with them and stays frozen: its cyclic garbage, if it has any when that recording is closed, is not reclaimed
(once per library, so at most twice a session). Tried and removed: unfreezing and collecting the whole heap when
the next recording was opened: a whole-heap collection inside the open's Qt event, destroying whatever Qt
objects had become garbage at a moment Qt may still have work for them. It was suspected of the test run's
"pure virtual method called" aborts (README), but the aborts went on without it (2026-12-07): removed as a risk,
not as the proven cause.
Not chosen: importing these libraries at start-up (~2 s before the first paint, which has a 1-s target), or
after the first paint at idle (the user may never group or learn; and it would freeze the recording's state
just the same); keeping full collections off for the whole job (the collection postponed, not avoided).

The rest is the allocation pattern, fixed where the objects were made: objects that are not containers
(str, int, float, NumPy arrays) are never tracked, so bulk data kept in arrays costs a collection
nothing, where a million small dicts or lists cost a full collection's time. Hence
:meth:`anyecg_model.annotations.journal.Journal.inspect` reads only the head of each journal entry, and the
beat lanes draw their ticks as one path built from arrays (:func:`app.lanes.paint_ticks`) instead of one
``QLineF`` per beat.
"""
from __future__ import annotations

import gc
import importlib
import logging
import sys
import threading
import time

log = logging.getLogger(__name__)

#: Generation-2 threshold while :func:`import_frozen` imports: no count of generation-1 collections reaches it.
FULL_COLLECTIONS_HELD = 1 << 30

_import_lock = threading.Lock()


def settle_startup_heap() -> int:
    """Collect once, then move every object alive now into the permanent generation (:func:`gc.freeze`);
    returns how many objects are frozen. Call it once, when start-up is done (window built, modules
    imported) and before a recording is opened."""
    t0 = time.perf_counter()
    gc.collect()
    gc.freeze()
    n = gc.get_freeze_count()
    log.debug("start-up heap settled: %d objects frozen in %.0f ms", n, 1000 * (time.perf_counter() - t0))
    return n


def import_frozen(*modules: str) -> int:
    """Import ``modules`` (dotted names) with full collections held off, then freeze the objects alive; returns
    how many objects were frozen (0 when every module was imported already). Meant for a worker thread that is
    about to need a large library (see the module docstring: the open recording's state is frozen too). Import
    errors propagate; the thresholds are restored in any case."""
    if all(m in sys.modules for m in modules):
        return 0
    with _import_lock:
        t0 = time.perf_counter()
        before = gc.get_freeze_count()
        young, middle, full = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_COLLECTIONS_HELD)
        try:
            for name in modules:
                importlib.import_module(name)
        finally:
            gc.collect(1)  # the import's young garbage (generations 0 and 1 only: cheap)
            gc.freeze()
            gc.set_threshold(young, middle, full)
        n = gc.get_freeze_count() - before
        log.debug("%s imported, %d objects frozen in %.0f ms", ", ".join(modules), n, 1000 * (time.perf_counter() - t0))
        return n

