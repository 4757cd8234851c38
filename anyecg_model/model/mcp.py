"""Masked code prediction (stage 2): mask a share of valid tokens, predict their rhythm-code indices."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .attention import token_validity
from .backbone import AnyECGBackbone


def random_token_mask(valid: torch.Tensor, ratio: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """(B, S, P) bool: exactly round(ratio × n_valid) random valid tokens of each batch item (at least one)."""
    B = valid.shape[0]
    noise = torch.rand(valid.shape, generator=generator, device="cpu").to(valid.device)
    noise = noise.masked_fill(~valid, 2.0).flatten(1)
    n_valid = valid.flatten(1).sum(1)
    n_mask = torch.clamp((n_valid.float() * ratio).round().long(), min=1)
    n_mask = torch.minimum(n_mask, n_valid)
    rank = noise.argsort(1).argsort(1)
    return (rank < n_mask[:, None]).view(valid.shape) & valid


def masked_code_loss(backbone: AnyECGBackbone, batch: dict[str, torch.Tensor], codes: torch.Tensor,
                     ratio: float, symmetric: bool = False) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Cross-entropy of the MCP head on masked tokens against ``codes`` (B, S, P) from the frozen tokenizer.
    With ``symmetric`` the complementary mask is a second pass (LaBraM) and the two losses are averaged."""
    valid = token_validity(batch["lead_mask"], batch["patch_mask"]) & (codes >= 0)
    mask = random_token_mask(valid, ratio)
    masks = [mask, valid & ~mask] if symmetric else [mask]
    losses, correct, count = [], 0.0, 0
    for m in masks:
        if not bool(m.any()):
            continue
        h = backbone(batch["patches"], batch["lead_mask"], batch["patch_mask"], m)
        logits = backbone.mcp_head(h[m]).float()
        losses.append(F.cross_entropy(logits, codes[m]))
        correct += float((logits.argmax(-1) == codes[m]).sum())
        count += int(m.sum())
    if not losses:
        zero = sum(p.sum() for p in backbone.parameters() if p.requires_grad) * 0.0  # every parameter: DDP-safe
        return zero, {"mcp": zero.detach(), "mcp_accuracy": zero.detach()}
    loss = torch.stack(losses).mean()
    return loss, {"mcp": loss.detach(), "mcp_accuracy": torch.tensor(correct / max(count, 1))}
