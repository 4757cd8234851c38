"""CSV export: a ``time_s`` column then one column per lead headed ``name [units]``, streamed in chunks."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ._common import as_recording, atomic_files, chunks


def write_csv(recording_or_arrays, path: str | Path, *, fs: float | None = None,
              lead_names: Sequence[str] | None = None, decimals: int = 4) -> Path:
    """Write the recording as CSV with a time column in seconds (which the CSV reader turns back into ``fs``)."""
    rec = as_recording(recording_or_arrays, fs, lead_names)
    path = Path(path)
    header = ",".join(["time_s"] + [f"{lead.original_name.replace(',', ' ')} [{lead.units or 'mV'}]"
                                    for lead in rec.leads])
    with atomic_files([path]) as (tmp,):
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(header + "\n")
            for start, window in chunks(rec, 1 << 16):
                t = (start + np.arange(window.shape[1])) / rec.fs
                table = np.vstack([t, window]).T
                np.savetxt(fh, table, delimiter=",", fmt=["%.6f"] + [f"%.{decimals}f"] * len(rec.leads))
    return path
