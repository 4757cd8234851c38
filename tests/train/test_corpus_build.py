"""The corpus cache reads records through the project's own readers: units become mV, the header's demography
and the reference beats and rhythm episodes of ``atr`` reach the cache."""
from __future__ import annotations

import numpy as np
import wfdb

from anyecg_model.train.data import corpus as C
from anyecg_model.vocabulary.labels import AAMI_BEAT_CLASSES, EPISODE_LABELS

FS = 360.0


def _record_in_microvolts(folder, name="100"):
    """20 s, 2 leads, a 1-mV R wave every 0.8 s, written with units µV; atr: beats (one V) and N → AFIB at 10.2 s."""
    t = np.arange(int(20 * FS)) / FS
    beats = np.arange(0.4, 19.6, 0.8)
    ecg = sum(np.exp(-0.5 * ((t - b) / 0.01) ** 2) for b in beats)  # mV
    sig = np.stack([ecg, 0.5 * ecg], axis=1) * 1000.0  # µV
    folder.mkdir(parents=True)
    wfdb.wrsamp(name, fs=FS, units=["uV", "uV"], sig_name=["MLII", "V1"], p_signal=sig, fmt=["16", "16"],
                adc_gain=[1.0, 1.0], baseline=[0, 0], comments=["69 M 1085 1629 x1"], write_dir=str(folder))
    samples = np.round(beats * FS).astype(int)
    symbols = ["N"] * len(beats)
    symbols[5] = "V"
    rhythm = [0, int(10.2 * FS)]
    wfdb.wrann(name, "atr", np.array(sorted(list(samples) + rhythm)),
               symbol=[s for _, s in sorted([(x, y) for x, y in zip(samples, symbols)] + [(r, "+") for r in rhythm])],
               aux_note=[a for _, a in sorted([(x, "") for x in samples] + [(rhythm[0], "(N"), (rhythm[1], "(AFIB")])],
               write_dir=str(folder))
    return len(beats)


def test_a_microvolt_record_enters_the_cache_in_millivolts_with_its_beats_and_rhythm(tmp_path):
    n_beats = _record_in_microvolts(tmp_path / "data" / "mitdb")
    out = tmp_path / "corpus"
    (entry,) = C._mitdb(tmp_path / "data", out)
    assert (entry.age, entry.sex, entry.leads, entry.split) == (69.0, 1.0, ["MLII", "V1"], "test")
    signals = np.load(out / "mitdb" / "signals.npy")
    peak = signals.max(axis=1) / C.UNITS_PER_MV  # mV
    assert np.allclose(peak, [1.0, 0.5], atol=0.05)  # not 1000× (the header's µV are converted)
    labels = np.load(out / "mitdb" / "labels.npz")
    assert len(labels["beat_class"]) == n_beats
    assert AAMI_BEAT_CLASSES[labels["beat_class"][5]] == "V"
    assert [EPISODE_LABELS[k] for k in labels["episode_label"]] == ["NSR", "AF"]
    assert abs(labels["episode_start"][1] - 10.2 * C.CORPUS_FS) <= 1
    assert labels["episode_stop"][1] == round(20 * C.CORPUS_FS)


def test_help_builds_nothing(tmp_path):
    """``python -m anyecg_model.train.data.corpus --help`` prints the usage; it once took ``--help`` for the
    data folder and left an empty cache behind."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOME": str(tmp_path)}
    res = subprocess.run([sys.executable, "-m", "anyecg_model.train.data.corpus", "--help"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert res.returncode == 0 and "data_dir" in res.stdout
    assert not (tmp_path / ".cache").exists()
