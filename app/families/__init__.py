"""Beat families in the viewer: a dock listing the recording's morphology families (issue 18)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..window_api import WindowServices


def install_families(window: "WindowServices") -> "FamiliesPanel":
    """Add the Families dock to ``window`` (needs annotation editing; installs it when absent); idempotent."""
    from app.editing import install_editing

    from .panel import FamiliesPanel

    if window.families is not None:
        return window.families
    ui = install_editing(window)
    window.register_feature("families", FamiliesPanel(window, ui.controller))
    window.families.dock = window.add_dock("Families", window.families)
    window.tabifyDockWidget(ui.dock, window.families.dock)  # shares the review queue's height, in front
    window.families.dock.raise_()
    ui.suggestionsShown.connect(window.families.apply_saved_adaptation)  # reuse a saved adaptation on reopen
    return window.families
