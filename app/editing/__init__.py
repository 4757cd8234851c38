"""Annotation editing in the viewer: edit mode, model suggestions and review queue, saving. The headless store
is :mod:`anyecg_model.annotations`; these modules only adapt it to Qt."""
from .controller import EditController, EditSettings
from .ui import EditingUI, install_editing

__all__ = ["EditController", "EditSettings", "EditingUI", "install_editing"]
