"""Pretraining: a real 2-process gloo DDP job (ranks stay bit-identical through both stages, resume continues
from the saved step); the command line is in tests/commands/test_pretrain.py."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DDP_SCRIPT = textwrap.dedent("""
    import json, logging, os, sys
    import torch
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from anyecg_model.model.anyecg import AnyECG
    from anyecg_model.model.checkpoint import load_checkpoint
    from anyecg_model.train.loop import TrainConfig, parameter_digest
    from anyecg_model.train.pretrain.stages import pretrain_backbone, pretrain_tokenizer
    from anyecg_model.train.data.synthetic import SyntheticECGDataset

    out = sys.argv[1]
    data = SyntheticECGDataset(8, window_s=2.0)
    cfg = TrainConfig(epochs=1, batch_size=2, log_every=1)
    torch.manual_seed(int(os.environ["RANK"]))  # different inits per rank: DDP must sync them
    first = pretrain_tokenizer(AnyECG.from_size("tiny"), data, cfg, out)
    resumed = load_checkpoint(out)  # a fresh process would do exactly this
    cfg.epochs = 2
    second = pretrain_tokenizer(resumed, data, cfg, out, resume=True)
    resumed.cfg.symmetric_mask = True
    stage2 = pretrain_backbone(resumed, data, TrainConfig(epochs=1, batch_size=2), os.path.join(out, "mcp"))
    with open(os.path.join(out, f"rank{os.environ['RANK']}.json"), "w") as f:
        json.dump({"first": first, "second": second, "stage2": stage2, "digest": parameter_digest(resumed)}, f)
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_process_gloo_job_stays_in_sync_and_resumes(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", str(_free_port()), str(script), str(out)],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    # 8 windows / 2 ranks / batch 2 = 2 steps per epoch; the resumed run starts at step 2 and ends at 4
    assert ranks[0]["first"]["step"] == 2 and ranks[0]["second"]["step"] == 4
    assert "resumed from" in proc.stderr and "epoch 1, step 2" in proc.stderr
    for r in ranks:
        for stage in ("first", "second", "stage2"):
            digests = r[stage]["rank_param_sha256"]
            assert len(digests) == 2 and digests[0] == digests[1]
    assert ranks[0]["digest"] == ranks[1]["digest"]
    meta = json.loads((out / "config.json").read_text())
    steps = [json.loads(line)["step"] for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]  # log_every=1: the resumed run goes on from step 3
    assert meta["training"]["step"] == 4 and [h["epoch"] for h in meta["training"]["history"]] == [1, 2]
