"""Exports from the viewer: images of the view or of a span (PNG/SVG at a chosen DPI, clipboard) and the
printed reports (12-lead and Holter PDFs from :mod:`anyecg_model.report`). ``install_export(window)`` adds
the actions to the window's File menu."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..window_api import WindowServices
    from .controller import ExportController


def install_export(window: "WindowServices") -> "ExportController":
    """Add the export and report actions to ``window`` (a ``MainWindow``) and return their controller."""
    from .controller import ExportController

    return window.register_feature("export", ExportController(window))
