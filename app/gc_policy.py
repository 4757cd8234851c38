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
* a second ``gc.freeze`` after that import: it would also freeze the open recording's viewer state, and
  whatever of it later became cyclic garbage (on opening the next file) could never be collected.

The rest is the allocation pattern, fixed where the objects were made: objects that are not containers
(str, int, float, NumPy arrays) are never tracked, so bulk data kept in arrays costs a collection
nothing, where a million small dicts or lists cost a full collection's time. Hence
:meth:`anyecg_model.annotations.journal.Journal.inspect` reads only the head of each journal entry, and the
beat lanes draw their ticks as one path built from arrays (:func:`app.lanes.paint_ticks`) instead of one
``QLineF`` per beat.
"""
from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


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
