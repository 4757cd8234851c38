"""Writers: WFDB records and annotation files, EDF+/BDF+ with annotations, CSV. Every file is saved
atomically (temporary file beside the target, fsync, rename)."""
from .csv_writer import write_csv
from .edf_writer import write_edf
from .wfdb_writer import rhythm_annotations, write_wfdb, write_wfdb_annotations

__all__ = ["rhythm_annotations", "write_csv", "write_edf", "write_wfdb", "write_wfdb_annotations"]
