"""The trainer's checkpoints for long runs: saved mid-epoch every N steps as safetensors + JSON (no pickle),
and a run killed (SIGKILL) or stopped mid-epoch resumes to the same weights as an uninterrupted run."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from tiny_objective import Objective, Windows

from anyecg_model.train.loop import DistEnv, TrainConfig, Trainer
from anyecg_model.train.trainer_state import LEGACY_STATE_FILE, STATE_FILE, TrainerStateError

REPO = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parent

KILLED_CHILD = textwrap.dedent("""
    import os, signal, sys
    import torch
    from anyecg_model.train.loop import DistEnv, TrainConfig, Trainer
    from tiny_objective import Objective, Windows
    torch.set_num_threads(1)
    torch.manual_seed(5)
    cfg = TrainConfig(epochs=2, batch_size=2, warmup_steps=2, seed=3, checkpoint_every_steps=4)
    kill = lambda: os.kill(os.getpid(), signal.SIGKILL)
    Trainer(Objective(stop_at=int(sys.argv[2]), stop=kill), Windows(), cfg, sys.argv[1], env=DistEnv()).fit()
""")


class Stopped(Exception):
    pass


def _raise() -> None:
    raise Stopped


def _cfg(**kw) -> TrainConfig:
    return TrainConfig(epochs=2, batch_size=2, warmup_steps=2, seed=3, **kw)


def _fresh(seed: int = 5, **kw) -> Objective:
    torch.manual_seed(seed)
    return Objective(**kw)


def _uninterrupted(tmp: Path) -> tuple[dict, dict]:
    obj = _fresh()
    metrics = Trainer(obj, Windows(), _cfg(), tmp / "whole", env=DistEnv()).fit()
    return obj.state_dict(), metrics


@pytest.mark.parametrize("stop_at", [6, 11])  # 6 steps per epoch: stopped in epoch 1, and in epoch 2
def test_run_stopped_mid_epoch_resumes_to_the_same_weights(tmp_path, stop_at):
    torch.set_num_threads(1)
    reference, ref_metrics = _uninterrupted(tmp_path)
    out = tmp_path / "run"
    with pytest.raises(Stopped):
        Trainer(_fresh(stop_at=stop_at, stop=_raise), Windows(), _cfg(checkpoint_every_steps=4), out,
                env=DistEnv()).fit()
    resumed = _fresh(seed=99)  # other initial weights and RNG: everything must come from the saved state
    trainer = Trainer(resumed, Windows(), _cfg(checkpoint_every_steps=4), out, env=DistEnv())
    trainer.load_state()
    assert (trainer.step, trainer.step_in_epoch) == ((4, 4) if stop_at == 6 else (8, 2))
    metrics = trainer.fit(resume=True)
    for k, v in reference.items():
        assert torch.equal(resumed.state_dict()[k], v), k
    assert metrics["step"] == 12 and metrics["train/loss"] == pytest.approx(ref_metrics["train/loss"], rel=1e-6)


def test_state_is_safetensors_with_json_not_a_pickle(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(Stopped):
        Trainer(_fresh(stop_at=4, stop=_raise), Windows(), _cfg(checkpoint_every_steps=3), out,
                env=DistEnv()).fit()
    assert sorted(p.name for p in out.iterdir()) == [STATE_FILE]  # no temporary left behind, no .pt
    with safe_open(str(out / STATE_FILE), framework="pt") as f:
        keys = set(f.keys())
        assert '"step_in_epoch": 3' in f.metadata()["anyecg_trainer_state"]
    assert {"state.objective.net.0.weight", "state.rng.torch"} <= keys
    assert any(k.startswith("state.optimizer.state.") and k.endswith("exp_avg") for k in keys)


def test_resume_refuses_a_different_batch_size_mid_epoch_and_an_old_pickle(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(Stopped):
        Trainer(_fresh(stop_at=4, stop=_raise), Windows(), _cfg(checkpoint_every_steps=3), out,
                env=DistEnv()).fit()
    cfg = _cfg()
    cfg.batch_size = 3
    with pytest.raises(TrainerStateError, match="batch size 2"):
        Trainer(_fresh(), Windows(), cfg, out, env=DistEnv()).fit(resume=True)
    old = tmp_path / "old"
    old.mkdir()
    (old / LEGACY_STATE_FILE).write_bytes(b"\x80\x04pickle")
    with pytest.raises(TrainerStateError, match="older version"):
        Trainer(_fresh(), Windows(), _cfg(), old, env=DistEnv()).fit(resume=True)


def test_sigkilled_run_resumes_to_the_same_weights(tmp_path):
    torch.set_num_threads(1)
    reference, _ = _uninterrupted(tmp_path)
    script, out = tmp_path / "child.py", tmp_path / "run"
    script.write_text(KILLED_CHILD)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(TESTS)]), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(script), str(out), "10"], env=env, capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr[-2000:]  # killed at its 10th step, after the save at step 8
    resumed = _fresh(seed=99)
    Trainer(resumed, Windows(), _cfg(checkpoint_every_steps=4), out, env=DistEnv()).fit(resume=True)
    for k, v in reference.items():
        assert torch.equal(resumed.state_dict()[k], v), k


def test_minutes_setting_saves_mid_epoch(tmp_path):
    out = tmp_path / "run"
    saves: list[tuple[int, int]] = []
    Trainer(_fresh(), Windows(), _cfg(checkpoint_every_min=1e-9), out, env=DistEnv(),  # any time elapsed is due
            on_checkpoint=lambda e, s: saves.append((e, s))).fit()
    assert saves == [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 7), (1, 8), (1, 9), (1, 10), (1, 11)]
