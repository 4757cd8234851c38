"""Where the shipped model lives: ``resources/anyecg-small`` of the installation, whatever the working directory.

The one spelling of that location: the analysis, fine-tuning, ``anyecg evaluate`` / ``finetune`` / ``analyze``,
the user's model versions and the viewer all default to :data:`SHIPPED_MODEL_DIR`. Imports nothing (no torch),
so the viewer can name it.
"""
from __future__ import annotations

from pathlib import Path

#: The shipped checkpoint folder (``model.safetensors`` + ``config.json``), an absolute path.
SHIPPED_MODEL_DIR = Path(__file__).resolve().parents[2] / "resources" / "anyecg-small"
