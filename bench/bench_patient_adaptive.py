"""Patient-adaptive beat classification on MIT-BIH DS2: the first 5 minutes' reference labels given, the rest scored.

Usage: python bench/bench_patient_adaptive.py [--records 100,103,...] [--given-s 300] [--no-model] [--no-gbm]
[--cache DIR]

Protocol (Kiranyaz et al. 2016, de Chazal & Reilly 2006): for every DS2 record, the reference (``atr``) beats in
the first ``--given-s`` seconds stand for an annotator's confirmed labels; every later reference beat is
classified at its reference position and scored in AAMI classes (N S V F; Q excluded), pooled over records.
Rows, side by side:

- inter-patient model: the shipped model's beat labels as the viewer's analysis gives them (``Analyzer``, beats
  and rhythm episodes: S calls inside AF are N; its own R peaks matched to the reference
  within 150 ms; a reference beat without a detected beat counts as N);
- model + patient adaptation: :func:`~anyecg_model.families.adapt` with the model's labels as the prior;
- classical GBM: gradient boosting on the same per-beat features, trained on DS1 (inter-patient; on DS2 when
  ``--records`` are DS1 records, for tuning on DS1 without touching DS2's scores);
- GBM + patient adaptation: the same adaptation with the GBM's probabilities as the prior, and with only its
  top label and confidence (the form the shipped model's findings give the product; the DS1 selection's prior);
- adaptation alone: the patient layer without any prior.

Also times one adaptation (features of a 30-min record + fit + predict) and prints the mean. Model outputs are
cached under ``~/.cache/anyecg/bench-patient`` (per record and model hash) so a rerun skips the analysis.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from anyecg_model.families.adapt import (AdaptConfig, PatientModel, beat_features, match_beats, prior_from_labels)
from anyecg_model.families.waves import beat_waves
from anyecg_model.io import open_recording
from anyecg_model.train.data.corpus import DEFAULT_DATA_DIR, MITDB_DS1, MITDB_DS2
from anyecg_model.train.tasks.beats import beat_metrics
from anyecg_model.vocabulary.labels import BEAT_CLASS, BEAT_CLASSES

CACHE = Path.home() / ".cache" / "anyecg" / "bench-patient"
#: The analysis tasks whose beat labels are the prior: beats and episodes, as in the viewer (anomaly changes no beat).
TASKS = ("arrhythmia", "events")
log = logging.getLogger("bench_patient_adaptive")


def reference(rec) -> tuple[np.ndarray, np.ndarray]:
    a = rec.annotations
    keep = np.array([s in BEAT_CLASS for s in a.symbol], bool)
    return a.sample[keep] / rec.fs, np.array([BEAT_CLASSES.index(BEAT_CLASS[s]) for s in a.symbol[keep]], np.int64)


def model_labels(analyzer, rec, name: str, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The model's labels/confidences at the reference positions (cached); unmatched → N with confidence 0.2."""
    info = analyzer.info  # the backbone's hash, its version and the beat classifier (beat trees) all key the cache
    key = hashlib.sha256(f"{name}:{info.sha256}:{info.version}:{info.beat_classifier}:{TASKS}".encode()).hexdigest()[:16]
    path = CACHE / f"{key}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        bt, bl, bc = z["time_s"], z["label"], z["confidence"]
    else:
        f = analyzer.analyze(rec, TASKS)
        bt, bl, bc = f.beats.time_s, f.beats.label, f.beats.confidence
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(path, time_s=bt, label=bl, confidence=bc)
    lab = np.zeros(len(times), np.int64)
    conf = np.full(len(times), 0.2, np.float32)
    bi, ri = match_beats(bt, times)
    lab[ri], conf[ri] = bl[bi], bc[bi]
    return lab, conf


def record_table(mitdb: Path, name: str, cache: Path | None = None):
    """(recording, reference times s, classes, adaptation features, seconds to read waves + features); the
    features are kept in ``cache`` (keyed by the feature code's hash) when given, the time is then 0."""
    rec = open_recording(mitdb / f"{name}.hea")
    t, y = reference(rec)
    path = None
    if cache is not None:
        import inspect

        from anyecg_model.families import features, waves

        code = inspect.getsource(beat_features) + "".join(Path(m.__file__).read_text() for m in (features, waves))
        path = cache / f"feat-{name}-{hashlib.sha256(code.encode()).hexdigest()[:12]}.npy"
        if path.exists():
            return rec, t, y, np.load(path), 0.0
    t0 = time.perf_counter()
    feats = beat_features(beat_waves(rec, t), t)
    dt = time.perf_counter() - t0
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, feats)
    return rec, t, y, feats, dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", default=",".join(MITDB_DS2))
    ap.add_argument("--given-s", type=float, default=300.0)
    ap.add_argument("--no-model", action="store_true", help="skip the shipped model's rows")
    ap.add_argument("--no-gbm", action="store_true", help="skip the classical GBM rows")
    ap.add_argument("--cache", type=Path, default=None,
                    help="folder for per-record features (reruns skip reading the waves; times then exclude it)")
    ap.add_argument("--c", type=float, default=AdaptConfig.c)
    ap.add_argument("--novelty", default=str(AdaptConfig.novelty),
                    help="novelty scale(s) of the adaptation with a prior, comma-separated for a sweep")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cfg = AdaptConfig(c=args.c)
    novelties = [float(v) for v in args.novelty.split(",")]
    mitdb = DEFAULT_DATA_DIR / "mitdb"
    records = [r.strip() for r in args.records.split(",") if r.strip()]
    analyzer = None
    if not args.no_model:
        from anyecg_model.analysis.analyzer import Analyzer

        analyzer = Analyzer(device="cpu")
    gbm = None
    if not args.no_gbm:
        from anyecg_model.train.baselines import fit_gbm

        train = MITDB_DS1 if not set(records) & set(MITDB_DS1) else MITDB_DS2  # DS2 when tuning on DS1
        rows = [record_table(mitdb, r, args.cache) for r in train if r not in records]
        X = np.concatenate([r[3] for r in rows])
        Y = np.concatenate([r[2] for r in rows])
        gbm = fit_gbm(X, Y, len(BEAT_CLASSES))
    preds: dict[str, list[np.ndarray]] = {}
    truth, fit_times = [], []
    for name in records:
        rec, t, y, feats, t_feat = record_table(mitdb, name, args.cache)
        given = np.flatnonzero(t < args.given_s)
        test = np.flatnonzero(t >= args.given_s)
        truth.append(y[test])
        t0 = time.perf_counter()
        alone = PatientModel.fit(feats, given, y[given], None, cfg).predict_proba(feats[test])
        fit_times.append(t_feat + time.perf_counter() - t0)
        preds.setdefault("adaptation alone (no prior)", []).append(alone.argmax(1))
        priors = {}
        if analyzer is not None:
            lab, conf = model_labels(analyzer, rec, name, t)
            priors["model"] = prior_from_labels(lab, conf)
        if gbm is not None:
            from anyecg_model.train.baselines import full_proba

            priors["classical GBM"] = full_proba(gbm, feats, len(BEAT_CLASSES))
            # what the product's prior holds: the top label and its confidence only (Findings keep no more)
            priors["classical GBM, top label + confidence"] = prior_from_labels(priors["classical GBM"].argmax(1),
                                                                                priors["classical GBM"].max(1))
        for kind, prior in priors.items():
            preds.setdefault(f"{kind}, inter-patient", []).append(prior[test].argmax(1))
            for nov in novelties:
                m = PatientModel.fit(feats, given, y[given], prior, replace(cfg, novelty=nov))
                p = m.predict_proba(feats[test], prior[test])
                tag = "" if len(novelties) == 1 else f" (novelty {nov:g})"
                preds.setdefault(f"{kind} + patient adaptation{tag}", []).append(p.argmax(1))
        print(f"{name}: {len(given)} given, {len(test)} scored", flush=True)
    y_all = np.concatenate(truth)
    print(f"\n{len(records)} records, {len(y_all)} scored beats; adaptation (features + fit + predict) "
          f"{np.mean(fit_times):.2f} s mean, {np.max(fit_times):.2f} s max per record")
    print("| classifier | N Se / +P | S Se / +P | V Se / +P | F Se / +P | accuracy | jκ |")
    print("|---|---|---|---|---|---|---|")
    for kind, parts in preds.items():
        m = beat_metrics(y_all, np.concatenate(parts))
        cells = [f"{m[f'Se_{c}']:.3f} / {m[f'+P_{c}']:.3f}" for c in "NSVF"]
        print(f"| {kind} | " + " | ".join(cells) + f" | {m['accuracy']:.3f} | {m['jkappa']:.3f} |")


if __name__ == "__main__":
    main()
