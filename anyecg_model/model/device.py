"""The one rule that turns a device name (``auto``, ``cpu``, ``cuda``, ``cuda:1``, ``mps``) into a torch device,
for the analysis (CLI and viewer alike), evaluation and training."""
from __future__ import annotations

import torch


class DeviceUnavailable(ValueError):
    """The device asked for is not on this machine."""


def choose_device(name: str = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` or ``mps`` asked for on a machine without one is
    :class:`DeviceUnavailable` (a clear message rather than a failure deep inside torch)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceUnavailable(f"--device {name} asked for, but no CUDA GPU is available")
    if name == "mps" and not torch.backends.mps.is_available():
        raise DeviceUnavailable("--device mps asked for, but Apple's Metal (MPS) is not available")
    return torch.device(name)
