"""Which of a recording's leads the analysis reads, as which model lead, and which way up."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..io.recording import Recording
from ..signal.mains import without_mains
from ..signal.polarity import lead_points_down
from ..signal.rpeaks import HELD_MAX_S, held_span
from ..vocabulary.lead_map import LeadMapError, LeadMapping, map_leads
from .chunks import AnalysisError

#: Slots whose QRS complexes point up in nearly everyone: a lead assumed into one of them (no name, so no defined
#: polarity) whose complexes point down is read upside down. A chest slot is not judged (V1 points down).
UPRIGHT_SLOTS = ("I", "II")


def input_leads(recording: Recording, lead_map: Mapping[str, str] | None = None) -> LeadMapping:
    """Which of the recording's leads fill which model slot (:func:`~anyecg_model.vocabulary.lead_map.map_leads`, with
    the user's ``lead_map`` first and the lead-agnostic single rhythm lead last); R peaks are detected on
    its ``rhythm_lead`` (II, else the first mapped lead). A lead assumed into I or II (no standard name, so no
    defined polarity) whose QRS complexes point down is read upside down (``inverted``,
    :func:`~anyecg_model.signal.polarity.lead_points_down`). AnalysisError when no lead can be analysed."""
    try:
        mapping = map_leads(recording.lead_names, lead_map)
    except LeadMapError as exc:
        raise AnalysisError(f"{recording.path}: {exc}") from exc
    if mapping.rhythm_lead is None:
        raise AnalysisError(f"{recording.path}: no lead the model knows among {recording.lead_names} (none is "
                            f"an ECG lead); name one with --lead-map NAME=II")
    for i in [i for i, how in mapping.how.items() if how == "assumed" and mapping.slot[i] in UPRIGHT_SLOTS]:
        if lead_points_down(lambda a, b: recording.read(a, b, [i])[0], recording.n_samples, recording.fs):
            mapping.inverted.add(i)
    return mapping


def read_leads(recording: Recording, leads: LeadMapping, start: int, stop: int) -> tuple[np.ndarray, list[float]]:
    """Samples ``[start, stop)`` of the mapped leads, in file order (``sorted(leads.slot)``), as the analysis reads
    them: upright (the ``inverted`` ones turned) and with any mains hum notched out
    (:func:`~anyecg_model.signal.mains.without_mains`); and the mains lines (Hz) notched."""
    rows = sorted(leads.slot)
    data = recording.read(start, stop, rows)
    data[[k for k, i in enumerate(rows) if i in leads.inverted]] *= -1
    return without_mains(data, recording.fs)


def signal_span(recording: Recording, leads: LeadMapping) -> tuple[float, float]:
    """(start s, end s) of what a recording holds as signal: its whole length less the samples its recorder
    padded it with at either end, one value held on every analysed lead (``leads``' mapped ones, as recorded:
    :func:`~anyecg_model.signal.rpeaks.held_span`; PTB-XL: the last 0.1 s of every ECG). A QRS cut where that
    padding begins is cut by the edge."""
    n, fs, rows = recording.n_samples, recording.fs, sorted(leads.slot)
    k = min(n, int(HELD_MAX_S * fs))
    head, tail = held_span(recording.read(0, k, rows), recording.read(n - k, n, rows))
    return head / fs, (n - tail) / fs
