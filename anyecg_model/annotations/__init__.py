"""The editable annotation store: columnar beats and rhythm episodes, an append-only edit log with unlimited
undo/redo, an autosave journal, model suggestions with a review queue, and atomic savers (WFDB, EDF+, CSV).

Built from a :class:`~anyecg_model.io.Recording`'s read-only annotations; no Qt here (views adapt the
store through :class:`~.events.Event` callbacks).
"""
from .codes import LABEL_SOURCES, POINT_CODES, RHYTHM_CODES, SOURCES, AnnotationError
from .edits import Edit, EditLog
from .export import read_csv, read_edf_annotations, save_csv, save_edf_annotations
from .journal import Journal, JournalInfo, journal_root
from .review import ReviewQueue
from .snap import SnapConfig, snap_to_r_peak
from .store import AnnotationStore, StoreChange, annotators
from .suggestions import (PreparedSuggestions, accept, bulk_accept, commit_suggestions, matched_labels, pick_class,
                          prepare_suggestions, reject, set_suggestions)
from .table import BeatTable, EpisodeTable
from .wfdb_file import annotator_path, open_store, read_wfdb, save_wfdb

__all__ = [
    "AnnotationError", "AnnotationStore", "BeatTable", "Edit", "EditLog", "EpisodeTable", "Journal", "JournalInfo",
    "LABEL_SOURCES", "POINT_CODES", "PreparedSuggestions", "RHYTHM_CODES", "ReviewQueue", "SOURCES", "SnapConfig", "StoreChange", "accept",
    "annotator_path", "annotators", "bulk_accept", "commit_suggestions", "journal_root", "matched_labels", "open_store", "pick_class", "prepare_suggestions",
    "read_csv",
    "read_edf_annotations", "read_wfdb", "reject", "save_csv", "save_edf_annotations", "save_wfdb",
    "set_suggestions", "snap_to_r_peak",
]
