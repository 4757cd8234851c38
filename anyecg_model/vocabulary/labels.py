"""Label vocabularies of the task heads and the mapping from MIT-BIH rhythm codes to episode labels.

Beat classes follow AAMI EC57 (N normal and bundle-branch, S supraventricular ectopic, V ventricular
ectopic, F fusion, Q unclassifiable) with paced beats (MIT-BIH ``/`` and ``f``) as a class of their own, P;
the backbone's own beat head predicts the five AAMI classes, the fusion head all six.
Record classes follow the PhysioNet/CinC 2017 challenge
(N normal sinus, A atrial fibrillation, O other rhythm, ~ too noisy). Episode labels name rhythm
episodes over long recordings. Each vocabulary carries its readable names here, once, for the viewer,
the CLI and the reports. This module imports nothing of the project (:mod:`anyecg_model.vocabulary`).
"""
from __future__ import annotations

AAMI_BEAT_CLASSES: tuple[str, ...] = ("N", "S", "V", "F", "Q")
BEAT_CLASSES: tuple[str, ...] = AAMI_BEAT_CLASSES + ("P",)
#: WFDB (MIT-BIH) symbol written for each beat class: paced beats are ``/``.
BEAT_CLASS_SYMBOL: dict[str, str] = {"N": "N", "S": "S", "V": "V", "F": "F", "Q": "Q", "P": "/"}


#: Colour of each beat class, the same in the viewer and on printed reports (S blue, V red: never confused).
BEAT_CLASS_COLOURS: dict[str, str] = {"N": "#2a7d2a", "S": "#1f5fbf", "V": "#c02020", "F": "#b05fc0", "Q": "#808080",
                                      "P": "#c08000"}


def beat_class_text(cls: str) -> str:
    """A beat class as readers see it: ``P`` (easily read as a P wave) is ``P (paced)``; the AAMI letters stay."""
    return "P (paced)" if cls == "P" else cls


#: MIT-BIH beat codes (annotations that mark a QRS complex).
BEAT_SYMBOLS = frozenset("N L R B A a J S V r F e j n E / f Q ?".split())

#: AAMI EC57 beat classes from MIT-BIH codes (de Chazal 2004).
AAMI_CLASS: dict[str, str] = {
    **{s: "N" for s in "N L R e j".split()},
    **{s: "S" for s in "A a J S".split()},
    **{s: "V" for s in "V E".split()},
    "F": "F",
    **{s: "Q" for s in "/ f Q".split()},
}
#: The beat vocabulary's class of each MIT-BIH code (:data:`BEAT_CLASSES`):
#: AAMI EC57 with paced (``/``) and fusion-of-paced (``f``) beats as a class of their own, P.
BEAT_CLASS: dict[str, str] = {**AAMI_CLASS, "/": "P", "f": "P"}

RECORD_CLASSES: tuple[str, ...] = ("N", "A", "O", "~")
#: Readable names of the record-level rhythm classes (PhysioNet/CinC 2017).
RECORD_CLASS_NAMES: dict[str, str] = {"N": "normal sinus rhythm", "A": "atrial fibrillation", "O": "other rhythm",
                                      "~": "too noisy to classify"}
ANOMALY_CLASSES: tuple[str, ...] = ("normal", "abnormal")
EPISODE_LABELS: tuple[str, ...] = (
    "NSR", "AF", "AFL", "SVTA", "VT", "VFL", "BIGEMINY", "TRIGEMINY", "NOISE", "OTHER",
)

#: MIT-BIH rhythm annotation codes (aux text of ``+`` annotations, without the parenthesis) → episode label.
#: Codes without an entry of their own (nodal, idioventricular, 2nd-degree block, pre-excitation,
#: paced, sinus bradycardia, atrial bigeminy) are OTHER.
MITDB_RHYTHM_TO_EPISODE: dict[str, str] = {
    "N": "NSR",        # normal sinus rhythm
    "AFIB": "AF",      # atrial fibrillation
    "AFL": "AFL",      # atrial flutter
    "SVTA": "SVTA",    # supraventricular tachyarrhythmia
    "VT": "VT",        # ventricular tachycardia
    "VFL": "VFL",      # ventricular flutter
    "B": "BIGEMINY",   # ventricular bigeminy
    "T": "TRIGEMINY",  # ventricular trigeminy
    "NOD": "OTHER",    # nodal (A-V junctional) rhythm
    "IVR": "OTHER",    # idioventricular rhythm
    "BII": "OTHER",    # 2nd-degree heart block
    "PREX": "OTHER",   # pre-excitation (WPW)
    "P": "OTHER",      # paced rhythm
    "SBR": "OTHER",    # sinus bradycardia
    "AB": "OTHER",     # atrial bigeminy
}

#: Episode label of a whole record of each record class (a CinC 2017 record as a one-episode sequence).
RECORD_CLASS_TO_EPISODE: dict[str, str] = {"N": "NSR", "A": "AF", "O": "OTHER", "~": "NOISE"}

#: Episode labels → MIT-BIH rhythm codes (aux text of ``+`` annotations) in written annotation files (PACED and
#: AB, atrial bigeminy, come from beat labels, not from the episode head).
EPISODE_TO_MITDB: dict[str, str] = {"NSR": "N", "AF": "AFIB", "AFL": "AFL", "SVTA": "SVTA", "VT": "VT", "VFL": "VFL",
                                    "BIGEMINY": "B", "TRIGEMINY": "T", "NOISE": "NOISE", "OTHER": "OTHER",
                                    "PACED": "P", "AB": "AB"}

#: Readable names of rhythm labels: the model's episode labels and MIT-BIH rhythm codes.
RHYTHM_NAMES: dict[str, str] = {
    "N": "normal sinus rhythm", "NSR": "normal sinus rhythm", "AFIB": "atrial fibrillation",
    "AF": "atrial fibrillation", "AFL": "atrial flutter", "SVTA": "supraventricular tachyarrhythmia",
    "VT": "ventricular tachycardia", "VFL": "ventricular flutter", "B": "ventricular bigeminy",
    "BIGEMINY": "ventricular bigeminy", "T": "ventricular trigeminy", "TRIGEMINY": "ventricular trigeminy",
    "NOD": "nodal (junctional) rhythm", "IVR": "idioventricular rhythm", "BII": "2nd-degree heart block",
    "PREX": "pre-excitation (WPW)", "P": "paced rhythm", "PACED": "paced rhythm", "SBR": "sinus bradycardia",
    "AB": "atrial bigeminy", "NOISE": "noise", "OTHER": "other rhythm",
}

#: Episode labels counted as atrial fibrillation or flutter (AF burden, the AF detector, the reports).
AF_EPISODE_LABELS: tuple[str, ...] = ("AF", "AFL")


def label_vocabularies() -> dict[str, list[str]]:
    """The label sets the heads are sized from, as written into a checkpoint's ``label_vocabularies`` and
    checked against it on load: head output index ``i`` means ``vocabulary[i]``."""
    return {"beats": list(AAMI_BEAT_CLASSES), "rhythm": list(RECORD_CLASSES), "anomaly": list(ANOMALY_CLASSES),
            "episodes": list(EPISODE_LABELS)}


def is_af(label: str) -> bool:
    """True for atrial fibrillation or flutter, named as a model episode label (``AF``, ``AFL``) or as a
    MIT-BIH rhythm code (``AFIB``, ``(AFL``)."""
    return label.strip().upper() in AF_EPISODE_LABELS or episode_label(label) in AF_EPISODE_LABELS


def episode_label(mitdb_code: str) -> str:
    """Episode label of a MIT-BIH rhythm code such as ``"(AFIB"`` or ``"VT"`` (unknown codes → OTHER)."""
    code = mitdb_code.strip("\x00").strip().lstrip("(").strip()
    return MITDB_RHYTHM_TO_EPISODE.get(code, "OTHER")
