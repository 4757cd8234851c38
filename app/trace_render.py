"""How the trace view gets a window's samples on screen (:class:`TraceRendering`, a part of
:class:`~app.trace_view.TraceView`): the view asks its :class:`~app.workers.RenderWorker` for the visible window
(pyramid envelope or filtered raw samples, read off the GUI thread, so scrolling never blocks on file reads),
pauses painting until the answer arrives and puts range, traces, lanes and axis on screen in one paint.
The read-outs say what is drawn: decimated or not, from the pyramid or not, samples per pixel.
"""
from __future__ import annotations

from PySide6 import QtCore

from anyecg_model.io.recording import Recording
from anyecg_model.signal.pyramid import MinMaxPyramid

from .workers import RenderRequest, RenderResult, RenderWorker


class TraceRendering:
    """The rendering half of :class:`~app.trace_view.TraceView` (a mixin before its ``QWidget`` base, sharing its
    state: ``_worker``, ``_seq``/``_applied_seq``, ``last_result``, ``curves``, ``_resume_pending``). The
    view's ``_resume_painting`` slot ends each step (``rendered()``)."""

    def _start_worker(self, recording: Recording, pyramid: MinMaxPyramid | None) -> None:
        self._worker = RenderWorker(recording, self)
        self._worker.ready.connect(self._on_ready)
        self._worker.set_pyramid(pyramid)
        self._worker.start()

    def detach_source(self) -> None:
        """Stop reading the recording (its file changed under us); what is on screen stays, and
        windows not yet drawn stay empty until the file is reopened."""
        self._stop_worker()
        self.plot.setUpdatesEnabled(True)

    def set_pyramid(self, pyramid: MinMaxPyramid | None) -> None:
        if self._worker is not None:
            self._worker.set_pyramid(pyramid)
            self.request_render()

    def has_pyramid(self) -> bool:
        return self._worker is not None and self._worker.pyramid is not None

    def _stop_worker(self) -> None:
        self._resume_pending = False
        self.plot.setUpdatesEnabled(True)
        if self._worker is not None:
            self._worker.ready.disconnect(self._on_ready)
            self._worker.stop()
            self._worker.deleteLater()
            self._worker = None


    def request_render(self) -> None:
        """Ask the worker for the current window (coalesced to one request per event-loop turn).

        Painting pauses until the window's data arrives, and the new range, traces, lanes and axis then go
        on screen in ONE paint: a step that painted the moved view first and the new traces after it drew
        the whole trace area twice (issue 19). The window fetched is the view itself, at two points per
        pixel column: fetching a margin beyond it only fed the curves points nobody sees."""
        if self._worker is None:
            return
        self._resume_pending = False  # a resume queued for the previous step would paint this one half-done
        self.plot.setUpdatesEnabled(False)
        self._render_timer.start()

    def _fetch_window(self) -> tuple[float, float, int]:
        t0, t1 = self.view_range()
        return t0, t1, self.plot_width_px()

    def _submit_render(self) -> None:
        if self._worker is None:
            return
        a, b, width = self._fetch_window()
        last = self.last_result
        if (last is not None and self._applied_seq == self._seq and last.request.leads == tuple(self.visible_leads())
                and last.request.filt == self._filter and last.request.width_px == width
                and abs(last.request.t0 - a) < 1e-9 and abs(last.request.t1 - b) < 1e-9):
            self._resume_painting_queued()
            return  # the window on screen is already this one
        self._seq += 1
        self._worker.submit(RenderRequest(self._seq, a, b, width, tuple(self.visible_leads()), self._filter))

    def pending(self) -> bool:
        """True while a requested window has not been drawn yet."""
        return self._render_timer.isActive() or self._applied_seq < self._seq or self._resume_pending

    def wait_rendered(self, timeout_s: float = 10.0) -> bool:
        """Run the event loop until the latest request is on screen (tests, screenshots, benchmarks)."""
        if not self.pending():
            return True
        deadline = QtCore.QDeadlineTimer(int(timeout_s * 1000))
        loop = QtCore.QEventLoop()
        self.rendered.connect(loop.quit)
        try:
            while self.pending() and not deadline.hasExpired():
                QtCore.QTimer.singleShot(max(1, min(100, int(deadline.remainingTime()))), loop.quit)
                loop.exec()
        finally:
            self.rendered.disconnect(loop.quit)
        return not self.pending()

    def _on_ready(self, result: RenderResult) -> None:
        self._applied_seq = max(self._applied_seq, result.request.seq)
        if result.request.seq != self._seq:
            return
        self._last_waiting = result.waiting
        if result.error is not None or result.waiting:
            if result.error is not None:
                self.readFailed.emit(result.error)
            self._resume_painting_queued()
            return
        self._apply_result(result)
        self._resume_painting_queued()

    def _resume_painting_queued(self) -> None:
        """Resume painting once the scene has handled the items just changed.

        The scene collects its changed items in a queued call; resuming at once let the viewport paint
        first and the scene's own update of the curves paint them a second time. Queued behind it, the
        resume makes the one paint of the step."""
        self._resume_pending = True
        QtCore.QMetaObject.invokeMethod(self, "_resume_painting", QtCore.Qt.ConnectionType.QueuedConnection)


    def _apply_result(self, result: RenderResult) -> None:
        self.last_result = result
        env = result.envelope
        for row, lead in enumerate(result.request.leads):
            if lead >= len(self.curves):
                continue
            sign = -1.0 if lead in self._inverted else 1.0
            self.curves[lead].set_trace(env.x, env.y[row] * sign, result.finite, env.decimated)
        self._place_curves(result)

    def _place_curves(self, result: RenderResult) -> None:
        for lead in result.request.leads:
            if lead < len(self.curves):
                self.curves[lead].setPos(result.request.t0, self.lead_offset(lead))

    def is_waiting_for_pyramid(self) -> bool:
        """True when the last request was too wide to draw before the pyramid is ready."""
        return self._last_waiting

    def is_decimated(self) -> bool:
        return bool(self.last_result and self.last_result.envelope and self.last_result.envelope.decimated)

    def samples_per_px(self) -> float:
        """Samples of the recording per pixel column of the drawn window (0 before anything is drawn)."""
        if self.recording is None or self.last_result is None:
            return 0.0
        req = self.last_result.request
        return (req.t1 - req.t0) * self.recording.fs / max(1, req.width_px)

    def is_from_pyramid(self) -> bool:
        """True when the traces come from pyramid levels (display filters do not apply there)."""
        return bool(self.last_result and self.last_result.envelope and self.last_result.envelope.level >= 1)
