"""Beat families: grouping time on the 24-h MIT-BIH join, and a simulated annotator's effort on DS2 and the join.

Usage: python bench/bench_families.py [--records 100,103,...] [--no-24h] [--given-s 300] [--max-families N]
[--rounds N] [--split-depth N] [--join-family-prior] [--no-prematurity-split] [--no-spans]

The simulated annotator corrects the labels until every reference beat carries its reference AAMI class,
counting actions, starting from the shipped model's labels (at the reference positions, as in
``bench_patient_adaptive.py``, whose model cache it shares):

- beat by beat: one action per wrong beat (also printed: with span relabels, one action per run of consecutive
  beats of one true class holding a wrong beat, for context);
- families: the beats grouped by shape; each family (largest first) is settled the cheapest way: left as it is,
  relabelled to the class most of its members truly have (one action), split in two by shape (one action, the
  dock's ``/``) or, unless ``--no-prematurity-split``, its premature members split off (one action, the dock's
  ``E``), each half settled alike, up to ``--split-depth`` splits deep; then the beats still wrong: one action
  each, or unless ``--no-spans`` (where fewer) one action to accept all suggestions (the review dock's *Accept
  all ≥*, so the viewer's span relabel reaches them) and one span relabel (drag a span, type the class) per run
  of consecutive beats of one true class holding a wrong beat;
- families + adaptation: families as above, then the first ``--given-s`` seconds confirmed (one action per beat
  still wrong there), one action to adapt the rest to them (:mod:`anyecg_model.families.adapt`, the prior being
  the model's and the family-corrected labels), families again, then the beats still wrong as above. As in the
  viewer, the adaptation learns from every confirmed beat — the first minutes and the members of the families
  relabelled (a family relabel accepts its members' suggestions) — and changes none of them.

On the 24-h join (48 records end to end, :func:`anyecg_model.mitdb_join.join_mitdb`) the grouping is timed and
the families and the adaptation see the whole day as one recording, starting from every beat labelled N (a
fresh Holter file, no model run: analysing the 26 records outside DS2 would cost the shared CPU too long); the
adaptation learns from the first ``--given-s`` seconds of each record's half hour, without a prior (with
``--join-family-prior``: the family-corrected labels as its prior, as the viewer's pending suggestions are).
"""
from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.vocabulary.labels import BEAT_CLASSES
from anyecg_model.families.adapt import AdaptConfig, PatientModel, beat_features, prior_from_labels
from anyecg_model.families.cluster import FamilyConfig, prematurity_split, two_means
from anyecg_model.families.model import group_recording
from anyecg_model.io import open_recording
from anyecg_model.mitdb_join import join_mitdb
from anyecg_model.train.data.corpus import DEFAULT_DATA_DIR, MITDB_DS2
from bench_patient_adaptive import model_labels, reference


def settle(f: np.ndarray, prem: np.ndarray | None, labels: np.ndarray, truth: np.ndarray,
           depth: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Cheapest way to correct one family's beats (features ``f``, pre-RR / local RR ``prem`` or None): (actions,
    new labels, accepted) counting one action per family relabel, one per split and one per beat left wrong;
    ``accepted`` marks the beats a relabel reached (the viewer's family relabel accepts its members' suggestions:
    they become confirmed labels). Options: leave it, relabel it to its majority true class, or (``depth`` > 0,
    ≥ 20 beats) split it by 2-means on shape (``/``) or by prematurity (``E``, when ``prem`` is given) and settle
    each half."""
    major = int(np.bincount(truth, minlength=len(BEAT_CLASSES)).argmax())
    best = (int(np.sum(labels != truth)), labels, np.zeros(len(labels), bool))
    relabel = 1 + int(np.sum(truth != major))
    if relabel < best[0]:
        best = (relabel, np.full(len(labels), major, labels.dtype), np.ones(len(labels), bool))
    if depth > 0 and len(labels) >= 20 and best[0] > 1:
        splits = [two_means(f)]
        if prem is not None:
            splits.append(prematurity_split(prem))
        for second in splits:
            if second is None or not second.any() or second.all():
                continue
            out, accepted = labels.copy(), np.zeros(len(labels), bool)
            cost = 1
            for half in (~second, second):
                c, lab, acc = settle(f[half], None if prem is None else prem[half], labels[half], truth[half],
                                     depth - 1)
                cost += c
                out[half], accepted[half] = lab, acc
            if cost < best[0]:
                best = (cost, out, accepted)
    return best


def family_pass(fam, labels: np.ndarray, truth: np.ndarray, depth: int = 2,
                premature: bool = True) -> tuple[np.ndarray, int, np.ndarray]:
    """Settle every family (largest first, :func:`settle`); (labels, actions spent on relabels and splits, the
    beats a relabel accepted)."""
    labels = labels.copy()
    accepted = np.zeros(len(labels), bool)
    actions = 0
    for f in fam.ids():
        m = fam.members(f)
        cost, new, acc = settle(fam.features[m], fam.rr[m, 2] if premature else None, labels[m], truth[m], depth)
        actions += cost - int(np.sum(new != truth[m]))
        labels[m], accepted[m] = new, acc
    return labels, actions, accepted


def fix_rest(labels: np.ndarray, truth: np.ndarray, spans: bool) -> int:
    """Actions to correct the beats (in time order) still wrong: one each; with ``spans``, where fewer, one to
    accept all suggestions and one span relabel per run of consecutive beats of one true class holding a wrong
    beat."""
    wrong = labels != truth
    if not spans or not wrong.any():
        return int(wrong.sum())
    run = np.concatenate([[0], np.cumsum(truth[1:] != truth[:-1])])
    return min(int(wrong.sum()), 1 + len(np.unique(run[wrong])))


def effort(t, y, lab, prior, given: np.ndarray, fam, depth: int = 2, family_prior: bool = False,
           premature: bool = True, spans: bool = True) -> dict[str, int]:
    """Actions for the strategies on one recording (beats at ``t`` with truth ``y``, starting labels ``lab``,
    the adaptation's ``prior`` probabilities or None; with ``family_prior`` and no ``prior``, the family-corrected
    labels are the adaptation's prior, as the viewer's pending suggestions are)."""
    beat_by_beat = int(np.sum(lab != y))
    fl, fa, accepted = family_pass(fam, lab, y, depth, premature)
    families = fa + fix_rest(fl, y, spans)
    # families first, then the first minutes confirmed (their remaining errors fixed one by one), one action
    # to adapt the rest to them, families again, and the remaining errors. The adaptation learns from every
    # confirmed beat, as the viewer's does: the first minutes and the members of the relabelled families (a
    # family relabel accepts its suggestions), and leaves them as they are
    fixed_given = int(np.sum(fl[given] != y[given]))
    feats = beat_features(fam.waves, t)
    p_fam = prior_from_labels(fl, np.full(len(fl), 0.9, np.float32))
    p0 = (p_fam if family_prior else None) if prior is None else 0.5 * prior + 0.5 * p_fam
    confirmed = accepted.copy()
    confirmed[given] = True
    known = fl.copy()
    known[given] = y[given]
    idx = np.flatnonzero(confirmed)
    model = PatientModel.fit(feats, idx, known[idx], p0, AdaptConfig())
    adapted = model.predict_proba(feats, p0).argmax(1)
    adapted[idx] = known[idx]
    al, aa, _ = family_pass(fam, adapted, y, depth, premature)
    both = fa + fixed_given + 1 + aa + fix_rest(al, y, spans)
    return {"beat by beat": beat_by_beat, "beat by beat, spans": fix_rest(lab, y, True), "families": families,
            "families + adaptation": both}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", default=",".join(MITDB_DS2))
    ap.add_argument("--given-s", type=float, default=300.0)
    ap.add_argument("--no-24h", action="store_true")
    ap.add_argument("--max-families", type=int, default=None, help="default: FamilyConfig's cap by beat count")
    ap.add_argument("--rounds", type=int, default=FamilyConfig.rounds)
    ap.add_argument("--join-family-prior", action="store_true",
                    help="on the 24-h join, adapt with the family-corrected labels as the prior (the viewer's case)")
    ap.add_argument("--split-depth", type=int, default=2, help="splits the simulated annotator may nest")
    ap.add_argument("--no-prematurity-split", action="store_true", help="no E splits (the runs before E existed)")
    ap.add_argument("--no-spans", action="store_true", help="the beats left wrong fixed one by one (as before)")
    args = ap.parse_args()
    cfg = FamilyConfig(max_families=args.max_families, rounds=args.rounds)
    logging.basicConfig(level=logging.WARNING)
    mitdb = DEFAULT_DATA_DIR / "mitdb"
    analyzer = Analyzer(device="cpu")
    totals: dict[str, int] = {}
    for name in [r.strip() for r in args.records.split(",") if r.strip()]:
        rec = open_recording(mitdb / f"{name}.hea")
        t, y = reference(rec)
        lab, conf = model_labels(analyzer, rec, name, t)
        fam = group_recording(rec, t, cfg=cfg)
        e = effort(t, y, lab, prior_from_labels(lab, conf), np.flatnonzero(t < args.given_s), fam,
                   args.split_depth, premature=not args.no_prematurity_split, spans=not args.no_spans)
        print(name, len(t), "beats,", len(fam.ids()), "families,", e, flush=True)
        for k, v in e.items():
            totals[k] = totals.get(k, 0) + v
    print("DS2 total actions:", totals)
    if args.no_24h:
        return
    day = join_mitdb(mitdb)
    t_all, y_all, given = [], [], []
    for part in day.source.parts:
        t, y = reference(part.recording)
        t_all.append(t + part.offset / day.fs)
        y_all.append(y)
        given.append(t < args.given_s)
    t, y = np.concatenate(t_all), np.concatenate(y_all)
    t0, c0 = time.perf_counter(), time.process_time()
    fam = group_recording(day, t, cfg=cfg)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(f"24-h join: {len(t)} beats grouped into {len(fam.ids())} families in {dt:.1f} s wall, {dc:.1f} s CPU")
    start = np.zeros(len(t), np.int64)  # a fresh file: every beat N until the annotator says otherwise
    e = effort(t, y, start, None, np.flatnonzero(np.concatenate(given)), fam, args.split_depth,
               args.join_family_prior, premature=not args.no_prematurity_split, spans=not args.no_spans)
    print("24-h join actions:", e)


if __name__ == "__main__":
    main()
