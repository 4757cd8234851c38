"""One way to write a moment of a recording, used by the reports, the viewer and the command line.

A recording whose file carries a start time is read in clock time (``10:50:57``, with ``(day 2)`` once
midnight has passed); one without a start time in time elapsed since its start, always marked as such
(``+13:15:00 elapsed``), so the two can never be mistaken for each other.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass

_TYPED = re.compile(r"^\s*(?P<plus>\+)?\s*(?:(?P<h>\d+):)?(?:(?P<m>\d+):)?(?P<s>\d+(?:\.\d*)?)\s*"
                    r"(?:(?P<elapsed>elapsed)|\(?\s*day\s*(?P<day>\d+)\s*\)?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class TimeBase:
    """How times of one recording are written: clock time from ``start`` when known, else elapsed time."""

    start: _dt.datetime | None = None

    @classmethod
    def of(cls, recording) -> "TimeBase":
        """The time base of a :class:`~anyecg_model.io.Recording` (or anything with a ``start_time``)."""
        return cls(getattr(recording, "start_time", None))

    @property
    def is_clock(self) -> bool:
        return self.start is not None

    @property
    def description(self) -> str:
        """What the times mean, for a report header or a tooltip."""
        if self.start is None:
            return "Times are elapsed since the start of the recording (the file has no start time)."
        return f"Times are clock times; the recording started {self.start:%Y-%m-%d %H:%M:%S}."

    @property
    def column(self) -> str:
        """Heading word of a table column of times written with ``label=False``."""
        return "clock time" if self.start is not None else "elapsed"

    def at(self, t_s: float, decimals: int = 0, label: bool = True) -> str:
        """Time ``t_s`` s into the recording: ``22:05:10``, ``01:12:00 (day 2)`` or ``+0:05:10 elapsed``.

        ``decimals`` fractional digits of the second (truncated, so a time never reads later than it is);
        ``label=False`` leaves out the word "elapsed" where a column heading says it (the ``+`` stays).
        """
        t_s = float(t_s)
        if not math.isfinite(t_s):
            return "–"
        if self.start is None:
            sign = "-" if t_s < 0 else "+"
            return f"{sign}{hms(abs(t_s), decimals)}" + (" elapsed" if label else "")
        when = self.start + _dt.timedelta(seconds=t_s)
        day = (when.date() - self.start.date()).days
        of_day = when.hour * 3600 + when.minute * 60 + when.second + when.microsecond / 1e6
        return hms(of_day, decimals, pad_hours=True) + (f" (day {day + 1})" if day else "")

    def parse(self, text: str) -> float:
        """Seconds into the recording from what a user types, read as :meth:`at` writes it.

        ``+h:mm:ss``, ``… elapsed`` and plain seconds are elapsed time; with a start time, ``hh:mm:ss`` is clock
        time, on the day given (``10:50:11 (day 2)``) or else at its first occurrence from the start (a time of
        day before the start time is on the next day). Raises ``ValueError`` for anything else."""
        m = _TYPED.match(text)
        if not m:
            raise ValueError(f"not a time: {text!r} (use h:mm:ss, mm:ss or seconds)")
        h, mnt, sec = m.group("h"), m.group("m"), float(m.group("s"))
        if h is not None and mnt is not None:
            value = int(h) * 3600 + int(mnt) * 60 + sec
        elif h is not None:
            value = int(h) * 60 + sec
        else:
            value = sec
        clock = self.start is not None and h is not None and not m.group("plus") and not m.group("elapsed")
        if not clock:
            if m.group("day"):
                raise ValueError(f"{text!r}: a day is only meaningful for a recording with a start time")
            return value
        start = self.start
        start_of_day = start.hour * 3600 + start.minute * 60 + start.second + start.microsecond / 1e6
        if m.group("day"):
            return (int(m.group("day")) - 1) * 86400.0 + value - start_of_day
        return value - start_of_day + (86400.0 if value < start_of_day else 0.0)

    def span(self, t0_s: float, t1_s: float, decimals: int = 0) -> str:
        """``22:05:00–22:07:50``; elapsed spans carry one ``elapsed`` at the end."""
        if self.start is None:
            return f"{self.at(t0_s, decimals, label=False)}–{self.at(t1_s, decimals, label=False)} elapsed"
        return f"{self.at(t0_s, decimals)}–{self.at(t1_s, decimals)}"


def hms(seconds: float, decimals: int = 0, pad_hours: bool = False) -> str:
    """``h:mm:ss`` (``hh:mm:ss`` with ``pad_hours``) of ``seconds`` ≥ 0, with ``decimals`` fractional digits."""
    scale = 10 ** decimals
    whole = math.floor(seconds * scale + 1e-6)
    sec_units = whole % (60 * scale)
    minutes = whole // (60 * scale)
    h, m = divmod(int(minutes), 60)
    sec = f"{sec_units // scale:02d}" + (f".{sec_units % scale:0{decimals}d}" if decimals else "")
    return f"{h:02d}:{m:02d}:{sec}" if pad_hours else f"{h}:{m:02d}:{sec}"
