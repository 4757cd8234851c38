"""Whether torch sees a CUDA GPU, asked of a child Python process, so that the caller never imports torch.

The viewer (its training panel offers a "CUDA GPU" device only when there is one) must not import torch: it
costs seconds and hundreds of MB in the process that draws the ECG. The child pays that instead, once per
viewer process. The device an analysis or a training job runs on is still chosen by
:func:`~anyecg_model.model.device.choose_device`, inside the process that runs it.
"""
from __future__ import annotations

import functools
import logging
import subprocess
import sys

log = logging.getLogger(__name__)

_ASK = "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)"


@functools.lru_cache(maxsize=1)
def cuda_present(timeout_s: float = 120.0) -> bool:
    """True when ``torch.cuda.is_available()`` in a fresh interpreter of this environment; False when not,
    or when the child fails or takes longer than ``timeout_s`` seconds (logged)."""
    try:
        res = subprocess.run([sys.executable, "-c", _ASK], capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("could not ask for a CUDA GPU (%s); offering the CPU only", exc)
        return False
    if res.returncode not in (0, 3):
        log.warning("asking for a CUDA GPU failed (exit %d): %s", res.returncode, res.stderr.strip()[-300:])
    return res.returncode == 0
