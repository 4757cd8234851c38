"""``LeadsPanel``: show/hide (check box), reorder (drag, or Move up/down) and invert leads of a TraceView."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .trace_view import TraceView

ROLE_LEAD = QtCore.Qt.ItemDataRole.UserRole


class LeadsPanel(QtWidgets.QWidget):
    """A list of the trace view's leads; edits apply to the view immediately."""

    def __init__(self, view: TraceView, parent=None):
        super().__init__(parent)
        self.view = view
        self.list = QtWidgets.QListWidget()
        self.list.setDragDropMode(QtWidgets.QAbstractItemView.DragDropMode.InternalMove)
        self.list.model().rowsMoved.connect(self._apply_order)
        self.list.itemChanged.connect(self._on_item_changed)
        up = QtWidgets.QPushButton("Move up")
        down = QtWidgets.QPushButton("Move down")
        self.invert = QtWidgets.QPushButton("Invert")
        self.invert.setCheckable(True)
        up.clicked.connect(lambda: self.move_selected(-1))
        down.clicked.connect(lambda: self.move_selected(+1))
        self.invert.clicked.connect(self._toggle_invert)
        self.list.currentItemChanged.connect(self._sync_invert_button)
        buttons = QtWidgets.QHBoxLayout()
        for b in (up, down, self.invert):
            buttons.addWidget(b)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        view.leadsChanged.connect(self.refresh)

    def refresh(self) -> None:
        """Rebuild the list from the view's lead order, visibility and inversion."""
        rec = self.view.recording
        self.list.blockSignals(True)
        current = self.list.currentRow()
        self.list.clear()
        if rec is not None:
            visible = set(self.view.visible_leads())
            for i in self.view.lead_order():
                text = rec.leads[i].name + ("  (inverted)" if self.view.is_inverted(i) else "")
                item = QtWidgets.QListWidgetItem(text)
                item.setData(ROLE_LEAD, i)
                item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable | QtCore.Qt.ItemFlag.ItemIsDragEnabled)
                item.setCheckState(QtCore.Qt.CheckState.Checked if i in visible else QtCore.Qt.CheckState.Unchecked)
                self.list.addItem(item)
        self.list.setCurrentRow(max(0, min(current, self.list.count() - 1)))
        self.list.blockSignals(False)
        self._sync_invert_button()

    def _order(self) -> list[int]:
        return [self.list.item(r).data(ROLE_LEAD) for r in range(self.list.count())]

    def _apply_order(self, *args) -> None:
        self.view.set_lead_order(self._order())

    def _on_item_changed(self, item: QtWidgets.QListWidgetItem) -> None:
        self.view.set_lead_visible(item.data(ROLE_LEAD), item.checkState() == QtCore.Qt.CheckState.Checked)

    def move_selected(self, step: int) -> None:
        row = self.list.currentRow()
        order = self._order()
        new = row + step
        if row < 0 or not 0 <= new < len(order):
            return
        order[row], order[new] = order[new], order[row]
        self.view.set_lead_order(order)
        self.list.setCurrentRow(new)

    def _toggle_invert(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            lead = item.data(ROLE_LEAD)
            self.view.set_lead_inverted(lead, not self.view.is_inverted(lead))

    def _sync_invert_button(self, *args) -> None:
        item = self.list.currentItem()
        self.invert.setChecked(item is not None and self.view.is_inverted(item.data(ROLE_LEAD)))
