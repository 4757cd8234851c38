"""Training and inference throughput (tokens/s) of an AnyECG size on this machine.

A token is one lead's 1-s patch. The batch is ``--batch`` synthetic 12-lead windows of ``--window-s`` seconds
(the batch contract); training = one optimiser step of the stage-1 tokenizer loss or of stage-2 masked
code prediction (forward + backward + AdamW); inference = backbone forward and tokenizer encoding under
``torch.inference_mode``. Reports the median over ``--reps`` after one warm-up. Prints a markdown table.

    .venv/bin/python bench/bench_throughput.py [--size small] [--threads 2] [--device cpu|cuda]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.data import default_collate

from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.mcp import masked_code_loss
from anyecg_model.train.data.batch import to_device
from anyecg_model.train.data.synthetic import SyntheticECGDataset


def _time(fn, reps: int, device: torch.device) -> float:
    fn()
    times = []
    for _ in range(reps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="small")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--window-s", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    ds = SyntheticECGDataset(args.batch, args.window_s, subset_fraction=0.0)
    batch = to_device(default_collate([ds[i] for i in range(args.batch)]), device)
    n_tokens = int((batch["lead_mask"][:, :, None] & batch["patch_mask"][:, None, :]).sum())
    model = AnyECG.from_size(args.size).to(device)
    amp = device.type == "cuda"

    def step(params, loss_fn):
        opt = torch.optim.AdamW(params, lr=1e-4)

        def run():
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                loss = loss_fn()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return run

    model.train()
    tok_train = step(model.tokenizer.parameters(), lambda: model.tokenizer.loss(batch)[0])
    codes = model.tokenizer.encode(batch["patches"], batch["lead_mask"], batch["patch_mask"])
    mcp_train = step(model.backbone.parameters(), lambda: masked_code_loss(model.backbone, batch, codes, 0.5)[0])

    def infer(fn):
        def run():
            with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                fn(batch["patches"], batch["lead_mask"], batch["patch_mask"])
        return run

    rows = [("train: tokenizer (stage 1)", tok_train), ("train: masked code prediction (stage 2)", mcp_train)]
    results = [(name, _time(fn, args.reps, device)) for name, fn in rows]
    model.eval()
    results += [(name, _time(infer(fn), args.reps, device)) for name, fn in
                [("inference: backbone", model.backbone), ("inference: tokenizer encode", model.tokenizer.encode)]]
    print(f"{args.size}: {model.n_parameters() / 1e6:.2f} M parameters, batch {args.batch} × 12 leads × "
          f"{args.window_s:g} s = {n_tokens} tokens, device {device}, {args.threads} thread(s)")
    print("| pass | s / batch | tokens/s |")
    print("|---|---|---|")
    for name, sec in results:
        print(f"| {name} | {sec:.3f} | {n_tokens / sec:,.0f} |")


if __name__ == "__main__":
    main()
