"""The AnyECG model in the viewer: a cancellable inference worker, the model panel and the overlays
(anomaly heat strip, beat lane, rhythm episodes, generated leads, timeline lanes).
``install_model(window)`` adds them to a :class:`~app.main_window.MainWindow` as ``window.model``."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..window_api import WindowServices
    from .controller import ModelController


def install_model(window: "WindowServices") -> "ModelController":
    """Add the Model menu actions, the model panel and the overlays to ``window``; returns the controller."""
    from .controller import ModelController

    return window.register_feature("model", ModelController(window))
