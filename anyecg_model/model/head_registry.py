"""Registry of task-head types: ``heads.py`` registers classes; :class:`~anyecg_model.model.anyecg.AnyECG`
builds each head named in ``ModelConfig.heads`` as ``HEAD_TYPES[spec["type"]](model_cfg, **rest_of_spec)``."""
from __future__ import annotations

from typing import Callable

from torch import nn

HEAD_TYPES: dict[str, type[nn.Module]] = {}


def register_head(name: str) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Class decorator: ``@register_head("anomaly")``."""

    def deco(cls: type[nn.Module]) -> type[nn.Module]:
        if name in HEAD_TYPES and HEAD_TYPES[name] is not cls:
            raise ValueError(f"head type {name!r} registered twice")
        HEAD_TYPES[name] = cls
        return cls

    return deco
