"""Review-queue dock: order (uncertainty / disagreement), reviewed-vs-remaining counter, the next suggestions,
accept/reject/next buttons and bulk accept above a confidence threshold. Buttons never take the keyboard
focus, so Enter and Backspace keep going to the trace view."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from anyecg_model.timebase import TimeBase

from .controller import EditController

#: Upcoming suggestions listed in the dock.
LIST_ROWS = 50


class ReviewDock(QtWidgets.QWidget):
    """The review panel of an :class:`EditController`."""

    def __init__(self, controller: EditController):
        super().__init__()
        self.controller = controller
        self.order = QtWidgets.QComboBox()
        self.order.addItems(["uncertainty", "disagreement"])
        self.order.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.counter = QtWidgets.QLabel("no suggestions")
        self.counter.setObjectName("reviewCounter")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.upcoming = QtWidgets.QListWidget()
        self.upcoming.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.upcoming.itemClicked.connect(self._go_to_item)
        self.threshold = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=0.95, decimals=2)
        buttons = QtWidgets.QHBoxLayout()
        for text, slot in (("Start / next", self.start), ("Accept ⏎", lambda: controller.review("accept")),
                           ("Reject ⌫", lambda: controller.review("reject"))):
            b = QtWidgets.QPushButton(text)
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        bulk = QtWidgets.QPushButton("Accept all ≥")
        bulk.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        bulk.clicked.connect(self._bulk)
        bulk_row = QtWidgets.QHBoxLayout()
        bulk_row.addWidget(bulk)
        bulk_row.addWidget(self.threshold)
        layout = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        form.addRow("Order", self.order)
        layout.addLayout(form)
        layout.addWidget(self.counter)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        layout.addLayout(bulk_row)
        layout.addWidget(self.upcoming, 1)
        self.order.currentTextChanged.connect(self.rebuild)
        controller.storeChanged.connect(self.rebuild)
        controller.edited.connect(self.refresh)
        controller.selectionChanged.connect(self.refresh)

    def rebuild(self, *_) -> None:
        """(Re)open the queue in the chosen order over the controller's store."""
        c = self.controller
        if c.store is None:
            c.queue = None
        else:
            c.open_queue(self.order.currentText())
        self.refresh()

    def start(self) -> None:
        c = self.controller
        if c.store is None:
            return
        if c.queue is None or c.queue.total == 0:
            self.rebuild()
        current = c.selected_beat if c.queue is not None and c.selected_beat in c.queue else None
        c.advance(current)
        c.trace.setFocus()

    def refresh(self, *_) -> None:
        q = self.controller.queue
        self.upcoming.clear()
        if q is None or q.total == 0:
            self.counter.setText("no model suggestions")
            self.progress.setMaximum(1)
            self.progress.setValue(0)
            return
        self.counter.setText(f"reviewed {q.reviewed} of {q.total} — {q.remaining} remaining")
        self.progress.setMaximum(q.total)
        self.progress.setValue(q.reviewed)
        store = self.controller.store
        timebase = TimeBase.of(self.controller.window.recording)
        sel = self.controller.selected_beat
        for row_id in q.upcoming(sel if sel in q else None, LIST_ROWS):
            row = store.beats.row(row_id)
            item = QtWidgets.QListWidgetItem(
                f"{timebase.at(row['sample'] / store.fs, 2)}  {row['code']}  p={row['confidence'] or 0:.2f}")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, row_id)
            self.upcoming.addItem(item)

    def _go_to_item(self, item: QtWidgets.QListWidgetItem) -> None:
        self.controller.select_beat(int(item.data(QtCore.Qt.ItemDataRole.UserRole)), centre=True)
        self.controller.trace.setFocus()

    def _bulk(self) -> None:
        n = self.controller.bulk_accept(self.threshold.value())
        self.controller.window.statusBar().showMessage(f"Accepted {n} suggestions with confidence ≥ "
                                                      f"{self.threshold.value():.2f}", 5000)
