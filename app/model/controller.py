"""``ModelController``: runs analysis jobs for the open recording and shows their findings.

Wiring (``window.model``): a ``Model`` dock (:class:`~app.model.panel.ModelPanel`), Model-menu actions (analyze,
cancel, analyze on open, device, model folder, one toggle per overlay with its shortcut: :mod:`.menu`), a
status-bar label with the model's name, version and device, lanes under the traces (one per row of the overlay
table, :mod:`.overlay_table`) and lanes on the overview bar.

Jobs run in the analysis process (:class:`~anyecg_model.analysis.client.AnalysisProcess`, one per window,
started by the warm-up or the first job, started again after it died, stopped when the window closes), and so
do the lead generations of :mod:`.generated`; the viewer's GUI thread only draws what it sends. Every start
gets a new job id; results of any other id are dropped, so a file opened later never shows an earlier file's
findings. Replaced jobs are cancelled without blocking the GUI (the process stops them between chunks) and
reaped when their relay thread ends; closing the window stops the process and waits for them. Settings:
``model/dir``, ``model/device`` (auto|cpu|cuda|mps), ``model/auto_analyze`` (false unless chosen in the menu
or given ``--analyze``).
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets

from anyecg_model.analysis.builder import FindingsBuilder
from anyecg_model.analysis.cache import FindingsCache
from anyecg_model.analysis.chunks import TASKS
from anyecg_model.analysis.findings import Findings, ModelInfo
from anyecg_model.vocabulary.labels import BEAT_CLASSES
from anyecg_model.io.recording import Recording
from anyecg_model.timebase import TimeBase

from ..twelve_lead import is_standard_12lead
from .generated import GeneratedLeadsUI
from .menu import ModelMenu
from .overlay_table import overlay_rows
from .panel import ModelPanel
from .partial_build import PartialBuild
from .stream import OverlayData
from .timeline import TimelineLanes
from .trace_overlays import TraceOverlays
from .unreadable import UnreadableBands
from .worker import AnalysisJob, AnalysisProcess, AnalysisWorker, WarmUp, gui_torch_threads

log = logging.getLogger(__name__)

#: Refresh of the overlays while results stream in (ms).
REFRESH_MS = 400
#: Overview lanes and the panel's lists are redrawn at most this often while results stream in (s).
SLOW_REFRESH_S = 10.0
#: Pause between the pieces of a streaming refresh (ms), so input and paint events get their turn.
STAGE_MS = 15
#: Longest wait of the GUI thread for the GIL (s). The analysis and lead generation run in their own process, but
#: the viewer's other background threads (pyramid, heart-rate lane, the relay threads) still share this GIL; a
#: paint enters Python dozens of times and, at Python's default 5 ms, each entry could wait that long.
GIL_SWITCH_S = 0.0005


class ModelController(ModelMenu, QtCore.QObject):
    """See the module docstring. Signals: ``viewFindingsReady()`` (the visible window's findings are drawn,
    or the analysis failed), ``findingsDrawn()`` (the finished analysis is on screen; emitted just before)
    ``analysisFinished(Findings)`` (for other panels)."""

    viewFindingsReady = QtCore.Signal()
    findingsDrawn = QtCore.Signal()
    analysisFinished = QtCore.Signal(object)
    warmedUp = QtCore.Signal(float)
    #: ``(key, on)``: an overlay of the table was toggled (after the lanes were redrawn).
    overlayToggled = QtCore.Signal(str, bool)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.process = AnalysisProcess(torch_threads=gui_torch_threads())
        self._owns_process = True
        self.cache = FindingsCache()
        self.job_id = 0
        self.worker: AnalysisWorker | None = None
        self._retired: list[AnalysisWorker] = []
        self.partial: FindingsBuilder | None = None  # the streamed chunks, once the model is loaded
        self.findings: Findings | None = None
        self.data: OverlayData | None = None
        self.failed_message = ""
        self._view_ready = False
        self._slow_refreshed = 0.0
        self._view_dirty = False
        #: the overlay table's rows (:mod:`.overlay_table`): menu, panel toggles and lanes
        self.overlays = overlay_rows()
        self.lanes = TraceOverlays(window.trace, self.overlays)
        self.timeline = TimelineLanes(window.overview, self.overlay_on)
        #: the stretches the analysis found unreadable, hatched over the traces (empty until findings arrive)
        self.unreadable = UnreadableBands()
        window.trace.add_overlay(self.unreadable)
        self.auto_analyze = self.settings.get_str("model/auto_analyze", "false") == "true"
        self._model_dir_override: Path | None = None
        #: the user's "Treat as" choices for the open recording: file lead → model lead (next analysis)
        self.lead_map: dict[str, str] = {}
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_S))
        self.panel = ModelPanel(self.overlays)
        self.dock = window.add_dock("Model", self.panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.status_label = QtWidgets.QLabel("Model: none")
        window.statusBar().addPermanentWidget(self.status_label)
        self.partial_build = PartialBuild(self)
        self.partial_build.built.connect(self._on_partial_built)
        self._refresh_timer = QtCore.QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._start_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._start_timer.timeout.connect(self.analyze)
        self._build_menu()
        self.generated = GeneratedLeadsUI(self)
        self.panel.jumpTo.connect(self.jump_to)
        self.panel.analyzeRequested.connect(self.analyze)
        self.panel.cancelRequested.connect(self.cancel)
        window.recordingOpened.connect(self._on_opened)
        window.leads_panel.leadMapChanged.connect(self.set_lead_map)
        window.recordingClosed.connect(self._on_closed)
        window.viewRangeChanged.connect(self._on_view_moved)
        window.installEventFilter(self)
        self._show_model_text()
        self._warm: WarmUp | None = None
        if self.auto_analyze:
            self.warm_up()

    def warm_up(self) -> None:
        """Load and exercise the model in the background (``warmedUp(seconds)`` when done)."""
        if self._warm is not None and not self._warm.isFinished():
            return
        self._warm = WarmUp(self.process, self.model_dir, self.device_setting, self)
        self._warm.ready.connect(self.warmedUp)
        self._warm.failed.connect(lambda msg: log.info("model warm-up: %s", msg))
        self._warm.start(QtCore.QThread.Priority.LowPriority)

    def warming(self) -> bool:
        """True while the warm-up thread runs."""
        return self._warm is not None and not self._warm.isFinished()

    def use_process(self, process: AnalysisProcess) -> None:
        """Run jobs in ``process``, which someone else started and stops (tests share one between windows)."""
        if self._owns_process:
            self.process.stop()
        self.process, self._owns_process = process, False

    # ------------------------------------------------------------------ jobs
    def analyze(self) -> int:
        """Start analysing the open recording (replacing any running job); returns the job id (0: none)."""
        return self._start_job(cache_only=False)

    def show_cached(self) -> int:
        """Show the open recording's cached findings, if this file was analysed before with this model (read
        on a worker thread; nothing runs and nothing is shown on a miss); returns the job id (0: none)."""
        return self._start_job(cache_only=True)

    def _start_job(self, cache_only: bool) -> int:
        self._start_timer.stop()
        rec = self.window.recording
        self._retire()
        self.job_id += 1
        self._reset_results()
        if rec is None:
            return 0
        job = AnalysisJob(self.job_id, rec, self.model_dir, self.device_setting, TASKS,
                          self.window.trace.view_range(), cache_only=cache_only,
                          lead_map=tuple(sorted(self.lead_map.items())))
        w = AnalysisWorker(job, self.process, self.cache, self)
        w.modelReady.connect(self._on_model_ready)
        w.partial.connect(self._on_partial)
        w.progress.connect(self._on_progress)
        w.done.connect(self._on_done)
        w.failed.connect(self._on_failed)
        w.notice.connect(self._on_notice)
        w.cancelled.connect(self._on_cancelled)
        self.worker = w
        if not cache_only:
            self.panel.set_running(True)
            self.apply_overlays(timeline=False)  # empty lanes now: one re-layout, before any result
        w.start(QtCore.QThread.Priority.LowPriority)
        return self.job_id

    def cancel(self) -> None:
        """Stop the running job (the GUI keeps what has arrived)."""
        if self.worker is not None:
            self._retire()
            if self.partial is not None and self.partial.parts:
                self.data = OverlayData.from_findings(self.partial.findings(), complete=False)
            self.apply_overlays()
            self.panel.set_running(False)
            self.panel.set_notice("Analysis cancelled.")
            self.window.statusBar().showMessage("Analysis cancelled", 5000)

    def _retire(self) -> None:
        w, self.worker = self.worker, None
        if w is None:
            return
        w.cancel(wait=False)
        if w.isFinished():
            w.deleteLater()
            return
        self._retired.append(w)
        w.finished.connect(lambda w=w: self._reap(w))

    def _reap(self, w: AnalysisWorker) -> None:
        if w in self._retired:
            self._retired.remove(w)
            w.deleteLater()

    def shutdown(self) -> None:
        """Cancel every job, stop the analysis process (when this window started it) and wait for the
        threads (window closing)."""
        self._start_timer.stop()
        self.generated.shutdown()
        self._retire()
        if self._warm is not None:
            self._warm.cancel()
        if self._owns_process:
            self.process.stop(timeout=1.0)  # relay threads blocked on the pipe end with it
        if self._warm is not None:
            self._warm.wait()
        for w in list(self._retired):
            w.wait()
            self._reap(w)

    def threads(self) -> list[AnalysisWorker]:
        """Threads not yet ended (the current job and cancelled ones still finishing a chunk)."""
        return [w for w in ([self.worker] if self.worker else []) + self._retired if not w.isFinished()]

    def eventFilter(self, obj, ev) -> bool:
        if obj is self.window and ev.type() == QtCore.QEvent.Type.Close:
            self.shutdown()
        return False

    # ------------------------------------------------------------------ worker signals (GUI thread)
    def _current(self, job_id: int) -> bool:
        return job_id == self.job_id and self.worker is not None

    def _on_model_ready(self, job_id: int, info: ModelInfo, device: str) -> None:
        if self._current(job_id):
            self._show_model_text(info, device)
            rec = self.window.recording
            if rec is not None:  # the core merges the chunks with the checkpoint's rules, as `anyecg analyze` does
                job = self.worker.job
                self.partial = FindingsBuilder.for_recording(rec, info, job.tasks, self.worker.rules,
                                                             dict(job.lead_map) or None)

    def _on_partial(self, job_id: int, part) -> None:
        if not self._current(job_id) or self.partial is None:
            return
        self.partial.add(part)
        t0, t1 = self._view_window()
        if part.start_s < t1 and part.end_s > t0:
            self._view_dirty = True  # the trace lanes must show this chunk
        if not self._view_ready and self.partial.covers(t0, t1):
            self.refresh()
        elif not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _on_progress(self, job_id: int, fraction: float) -> None:
        if self._current(job_id):
            self.panel.set_progress(fraction)

    def _on_done(self, job_id: int, findings: Findings, from_cache: bool) -> None:
        if not self._current(job_id):
            return
        self.worker = None
        self.findings = findings
        self.partial = None
        self.panel.set_running(False)
        self.panel.set_progress(1.0)
        notes = ["Findings from the cache (this file and model were analysed before)."] if from_cache else []
        if findings.lead_assumed or findings.lead_inverted or self.lead_map:
            notes.append("Leads analysed as: " + ", ".join(
                f"{name} → {slot}" + findings.lead_tags(name) for name, slot in findings.lead_mapping.items()) + ".")
        if findings.rhythm_lead_replaced:
            leads = ", ".join(sorted({lead for _, _, lead in findings.rhythm_lead_replaced}))
            lost = sum(b - a for a, b, _ in findings.rhythm_lead_replaced)
            notes.append(f"R peaks read on {leads} over {lost:.0f} s where {findings.rhythm_lead} was unreadable "
                         f"(left out there).")
        if findings.mains_hz:
            lines = ", ".join(f"{h:g}" for h in findings.mains_hz)
            notes.append(f"Mains hum ({lines} Hz) notched out before the analysis read the signal; the trace shows it "
                         f"as recorded (View ▸ Mains notch).")
        self.panel.set_notice(" ".join(notes))
        self._refresh_timer.stop()
        self.refresh(then=lambda: self._announce(findings))

    def _announce(self, findings: Findings) -> None:
        """The finished analysis is drawn (overview lanes and panel included): tell the other panels."""
        if self.findings is findings:
            self.findingsDrawn.emit()
            self.analysisFinished.emit(findings)

    def _on_failed(self, job_id: int, message: str) -> None:
        if not self._current(job_id):
            return
        self.worker = None
        self.failed_message = message
        self.panel.set_running(False)
        self.apply_overlays(timeline=False)  # removes the empty lanes
        self.panel.set_message(message)
        self.window.statusBar().showMessage("Model: " + message.splitlines()[0], 10000)
        self._mark_view_ready()

    def _on_notice(self, job_id: int, message: str) -> None:
        if self._current(job_id):
            self.panel.set_notice(message)
            self.window.statusBar().showMessage(message, 10000)

    def _on_cancelled(self, job_id: int) -> None:
        if job_id == self.job_id:
            self.panel.set_running(False)
            if self.worker is not None and self.worker.job.cache_only:
                self._retire()  # nothing cached: the file shows no findings until analysed

    # ------------------------------------------------------------------ showing results
    def _view_window(self) -> tuple[float, float]:
        t0, t1 = self.window.trace.view_range()
        dur = self.window.recording.duration_s if self.window.recording is not None else t1
        return max(0.0, t0), min(dur, t1)

    def view_ready(self) -> bool:
        """The visible window's findings are drawn, or the analysis failed."""
        return self._view_ready

    def _mark_view_ready(self) -> None:
        if not self._view_ready:
            self._view_ready = True
            self.viewFindingsReady.emit()

    def wait_for_view(self, timeout_s: float = 120.0) -> bool:
        """Process events until :meth:`view_ready` (for ``--analyze --screenshot``); False on timeout."""
        app = QtWidgets.QApplication.instance()
        deadline = QtCore.QDeadlineTimer(int(timeout_s * 1000))
        while not self._view_ready and not deadline.hasExpired():
            if self.worker is None and self._retired == [] and not self._start_timer.isActive():
                break
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        return self._view_ready

    def refresh(self, then=None) -> None:
        """Redraw the overlays and the panel from the latest results. While results stream in, the overview
        lanes and the panel's lists are redrawn at most every :data:`SLOW_REFRESH_S` seconds. Once the view's
        findings are drawn, the streamed chunks are merged off the GUI thread (:class:`PartialBuild`), the trace lanes
        are redrawn when they are and the overview lanes and the panel in the next event-loop turns (the finished
        24-h findings took 20-35 ms in one turn); ``then()`` runs after the panel."""
        rec = self.window.recording
        if rec is None:
            return
        final = self.findings is not None
        if not final and (self.partial is None or not self.partial.parts):
            return
        now = time.monotonic()
        slow = final or now - self._slow_refreshed >= SLOW_REFRESH_S or not self._view_ready
        if not (slow or self._view_dirty):
            return  # nothing visible changed: the trace is not repainted for chunks off screen
        self._view_dirty = False
        if not final and self._view_ready:  # streaming on: merge the chunks off the GUI thread (24 h: 40-60 ms)
            if slow:
                self._slow_refreshed = now
            self.partial_build.request(self.partial, slow)
            return
        self._draw(self.findings if final else self.partial.findings(), final, slow, now, then)

    def _on_partial_built(self, builder: FindingsBuilder, findings: Findings, slow: bool) -> None:
        """Streamed findings merged in the background: drawn unless the analysis has finished or changed."""
        if builder is self.partial and self.findings is None and self.window.recording is not None:
            self._draw(findings, False, slow, time.monotonic())

    def _draw(self, findings: Findings, final: bool, slow: bool, now: float, then=None) -> None:
        """The trace lanes from ``findings`` at once; with ``slow`` the overview lanes and the panel too."""
        rec = self.window.recording
        self.data = OverlayData.from_findings(findings, complete=final)
        at_once = not self._view_ready
        self.apply_overlays(timeline=slow and at_once)
        staged = slow and not at_once
        if slow:
            self._slow_refreshed = now
            if at_once:
                self.panel.show_data(self.data, rec.duration_s, TimeBase.of(rec))
            else:  # one piece of work per event-loop turn keeps every turn short
                QtCore.QTimer.singleShot(STAGE_MS, lambda: self._slow_stage(then))
        if final or (self.partial is not None and self.partial.covers(*self._view_window())):
            self._mark_view_ready()
        if then is not None and not staged:
            then()

    def _slow_stage(self, then=None) -> None:
        """Refresh of the overview lanes, then (next turn) of the panel, from the latest data; then ``then()``."""
        rec, d = self.window.recording, self.data
        if rec is None or d is None:
            return
        self.timeline.update(rec.duration_s, d, TimeBase.of(rec))

        def panel() -> None:
            if self.data is d:
                self.panel.show_data(d, rec.duration_s, TimeBase.of(rec))
                if then is not None:
                    then()

        QtCore.QTimer.singleShot(STAGE_MS, panel)

    def apply_overlays(self, timeline: bool = True) -> None:
        """Put the lanes the toggles ask for under the traces (updated in place when they exist) and, with
        ``timeline``, on the overview bar."""
        d, rec = self.data, self.window.recording
        if rec is None:
            return
        # while a job runs the lanes exist (empty at first), so results fill them without re-laying out the view
        src = d if d is not None else OverlayData()
        live = d is not None or (self.worker is not None and not self.worker.job.cache_only)
        self.lanes.apply(d, live, self.overlay_on, TimeBase.of(rec))
        if not self.unreadable.same_data(src.unreadable):
            self.unreadable.set_data(src.unreadable)
        self.unreadable.timebase = TimeBase.of(rec)
        marks = d is not None and self.overlay_on("beats") and is_standard_12lead(rec)
        self.window.twelve_lead.set_beat_marks(src.beat_time_s if marks else np.zeros(0),
                                               [BEAT_CLASSES[c] for c in src.beat_class] if marks else [])
        if timeline:
            self.timeline.update(rec.duration_s, d, TimeBase.of(rec))

    # ------------------------------------------------------------------ navigation and recording changes
    def jump_to(self, t0: float, t1: float) -> None:
        """Show ``[t0, t1]`` s, keeping the page width when the finding is shorter than a page."""
        trace = self.window.trace
        v0, v1 = trace.view_range()
        width = v1 - v0
        if t1 - t0 <= width:
            centre = (t0 + t1) / 2
            trace.set_view(centre - width / 2, centre + width / 2)
        else:
            trace.set_view(t0, t0 + width)

    def _reset_results(self) -> None:
        self.partial = None
        self.findings = None
        self.data = None
        self.failed_message = ""
        self._view_ready = False
        self._refresh_timer.stop()
        self.panel.clear()
        self.panel.set_message("")
        self.panel.set_notice("")
        self.lanes.clear()
        self.window.twelve_lead.set_beat_marks(np.zeros(0), [])
        self.unreadable.set_data([])
        self.timeline.clear()

    def _on_view_moved(self, _t0: float, _t1: float) -> None:
        if self.worker is not None:
            self.worker.set_visible(*self._view_window())  # its next chunk: one the view shows
        if self.worker is not None and self.partial is not None and self.partial.parts:
            self._view_dirty = True  # lanes may lag behind chunks that arrived off screen
            if not self._refresh_timer.isActive():
                self._refresh_timer.start()

    def set_lead_map(self, lead_map: dict) -> None:
        """The user's file lead → model lead choices; used from the next analysis on."""
        self.lead_map = {str(k): str(v) for k, v in lead_map.items()}
        text = ", ".join(f"{k} as {v[1:]}, upside down" if v.startswith("-") else f"{k} as {v}"
                         for k, v in self.lead_map.items()) or "leads as named"
        self.window.statusBar().showMessage(f"Next analysis: {text} (Model ▸ Analyze recording)", 8000)

    def _on_opened(self, rec: Recording) -> None:
        self.lead_map = {}
        self._retire()
        self.job_id += 1
        self._reset_results()
        self.panel.set_running(False)
        self.generated.reset(rec)
        if self.auto_analyze:
            self._start_timer.start()
            self.generated.detect()
        else:
            self.show_cached()  # a file analysed before shows its findings at once

    def _on_closed(self) -> None:
        self._start_timer.stop()
        self._retire()
        self.job_id += 1
        self.partial = self.findings = self.data = None
        self.window.twelve_lead.set_beat_marks(np.zeros(0), [])
        self.unreadable.set_data([])
        self.timeline.clear()
        self.generated.reset(None)
        self.panel.clear()
        self.panel.set_running(False)
