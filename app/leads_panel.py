"""``LeadsPanel``: show/hide (check box), reorder (drag, or Move up/down) and invert leads of a TraceView.

Its context menu's *Treat as* sets which model lead the next analysis takes a file lead for (``ECG`` as II, a
``Chan 1`` as V5, or *Not ECG*), and whether it was *recorded upside down* (electrodes the other way round: the
analysis turns it over, ``-II`` in the map, and the view shows it turned); the list shows the choice
(``ECG  → II``, ``MLII  (inverted)  → II, upside down``) and ``leadMapChanged(dict)`` carries the whole map (file
lead → model lead, or ``none``) to the model controller. A new recording starts empty.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.vocabulary.lead_map import IGNORE, LeadMapError, map_leads
from anyecg_model.vocabulary.leads import STANDARD_LEADS

from .trace_view import TraceView

ROLE_LEAD = QtCore.Qt.ItemDataRole.UserRole


class LeadsPanel(QtWidgets.QWidget):
    """A list of the trace view's leads; edits apply to the view immediately."""

    leadMapChanged = QtCore.Signal(dict)

    def __init__(self, view: TraceView, parent=None):
        super().__init__(parent)
        self.view = view
        #: the user's "Treat as" choices for the shown recording: file lead name → model lead (or "none")
        self.lead_map: dict[str, str] = {}
        self._mapped_recording = None
        self.list = QtWidgets.QListWidget()
        self.list.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
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
        if rec is not self._mapped_recording:
            self._mapped_recording, self.lead_map = rec, {}
        self.list.blockSignals(True)
        current = self.list.currentRow()
        self.list.clear()
        if rec is not None:
            visible = set(self.view.visible_leads())
            for i in self.view.lead_order():
                text = rec.leads[i].name + ("  (inverted)" if self.view.is_inverted(i) else "")
                if rec.leads[i].name in self.lead_map:
                    slot = self.lead_map[rec.leads[i].name]
                    text += f"  → {slot[1:]}, upside down" if slot.startswith("-") else f"  → {slot}"
                item = QtWidgets.QListWidgetItem(text)
                item.setData(ROLE_LEAD, i)
                item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable | QtCore.Qt.ItemFlag.ItemIsDragEnabled)
                item.setCheckState(QtCore.Qt.CheckState.Checked if i in visible else QtCore.Qt.CheckState.Unchecked)
                self.list.addItem(item)
        self.list.setCurrentRow(max(0, min(current, self.list.count() - 1)))
        self.list.blockSignals(False)
        self._sync_invert_button()

    def treat_as(self, lead: int, slot: str | None) -> None:
        """Take lead ``lead`` (index) for model lead ``slot`` in the next analysis (None: as its name says,
        ``"none"``: not ECG); the list shows it and ``leadMapChanged`` carries the new map."""
        name = self.view.recording.leads[lead].name
        if slot is None:
            self.lead_map.pop(name, None)
        else:
            self.lead_map = {k: v for k, v in self.lead_map.items()
                             if v.lstrip("-") != slot.lstrip("-") or slot == IGNORE}
            self.lead_map[name] = slot
        self.refresh()
        self.leadMapChanged.emit(dict(self.lead_map))

    def model_slot(self, lead: int) -> str | None:
        """The model lead the next analysis takes lead ``lead`` (index) for: the user's choice, else what its name
        maps to among the recording's leads; None when it is left out or maps nowhere."""
        rec = self.view.recording
        given = self.lead_map.get(rec.leads[lead].name)
        if given is not None:
            return None if given == IGNORE else given.lstrip("-")
        try:
            return map_leads(rec.lead_names, self.lead_map).slot.get(lead)
        except LeadMapError:
            return None

    def set_upside_down(self, lead: int, upside_down: bool) -> None:
        """Say lead ``lead`` (index) was recorded upside down (electrodes the other way round) or not: the next
        analysis turns it over in its model lead (``-II``), and the view shows it turned."""
        slot = self.model_slot(lead)
        if slot is None:
            return
        self.view.set_lead_inverted(lead, upside_down)
        self.treat_as(lead, ("-" if upside_down else "") + slot)

    def _context_menu(self, pos: QtCore.QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.treat_as_menu(item.data(ROLE_LEAD)).exec(self.list.viewport().mapToGlobal(pos))

    def treat_as_menu(self, lead: int) -> QtWidgets.QMenu:
        """The context menu of one lead: *Treat as* ▸ As named / I … V6 / Not ECG (checked: the current choice),
        then *Recorded upside down* (checked when said; only for a lead the analysis takes)."""
        menu = QtWidgets.QMenu(self)
        sub = menu.addMenu("Treat as…")
        sub.setToolTip("Which lead the model takes this signal for in the next analysis")
        current = self.lead_map.get(self.view.recording.leads[lead].name)
        group = QtGui.QActionGroup(sub)
        choices = [("As named (automatic)", None)] + [(s, s) for s in STANDARD_LEADS] + [("Not ECG (leave out)", IGNORE)]
        for label, slot in choices:
            action = sub.addAction(label)
            action.setCheckable(True)
            action.setChecked(slot == (current.lstrip("-") if current else current))
            group.addAction(action)
            action.triggered.connect(lambda _=False, s=slot: self.treat_as(lead, s))
            if slot is None or slot == "V6":
                sub.addSeparator()
        sub.addSeparator()
        flip = sub.addAction("Recorded upside down")
        flip.setCheckable(True)
        flip.setChecked(bool(current) and current.startswith("-"))
        flip.setEnabled(self.model_slot(lead) is not None)
        flip.setToolTip("The electrodes were the other way round: the analysis reads this lead turned over, "
                        "and the view shows it so")
        flip.triggered.connect(lambda on, i=lead: self.set_upside_down(i, on))
        return menu

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
