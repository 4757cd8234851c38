"""A tiny training objective and dataset for the trainer's tests (milliseconds per step on a CPU)."""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


class Windows(torch.utils.data.Dataset):
    """``n`` fixed random examples ``{"x": (8,), "y": (1,)}``."""

    def __init__(self, n: int = 12):
        g = torch.Generator().manual_seed(1)
        self.x, self.y = torch.randn(n, 8, generator=g), torch.randn(n, 1, generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.x[i], "y": self.y[i]}


class Objective(nn.Module):
    """Dropout and a random input mask, so every step draws from the global RNG (as masked code prediction
    does); ``stop()`` is called at the ``stop_at``-th forward pass (to interrupt a run)."""

    def __init__(self, stop_at: int | None = None, stop: Callable[[], None] | None = None):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.Dropout(0.3), nn.GELU(), nn.Linear(16, 1))
        self.calls, self.stop_at, self.stop = 0, stop_at, stop

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        self.calls += 1
        if self.stop is not None and self.calls == self.stop_at:
            self.stop()
        keep = (torch.rand_like(batch["x"]) > 0.25).float()
        loss = ((self.net(batch["x"] * keep) - batch["y"]) ** 2).mean()
        return loss, {"mse": loss}
