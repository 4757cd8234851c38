"""WFDB single-segment header (``.hea``) parsed without the ``wfdb`` package (which imports pandas: ~0.2-0.6 s).

The fields and their defaults are those of the WFDB header format (PhysioNet, ``header(5)``) as ``wfdb.rdheader``
reads them: the record line ``name n_sig [fs[/counter_freq[(base_counter)]] [sig_len [base_time [base_date]]]]``
(fs 250 Hz when absent), one signal line per signal ``file fmt[xspf][:skew][+offset] [gain[(baseline)][/units]
[adc_res [adc_zero [init [checksum [block_size [description]]]]]]]`` (gain 200 when absent or 0, baseline the ADC
zero, units mV), comment lines starting with ``#``. :func:`parse_header` returns None for anything else (a
multi-segment header, a line it cannot read), and the reader then asks ``wfdb`` so that its messages stay the same.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

_RECORD = re.compile(r"""
    [ \t]* (?P<record_name>[-\w]+)
    [ \t]+ (?P<n_sig>\d+)
    [ \t]* (?P<fs>\d*\.?\d*)
           /*(?P<counter_freq>-?\d*\.?\d*)
           \(?(?P<base_counter>-?\d*\.?\d*)\)?
    [ \t]* (?P<sig_len>\d*)
    [ \t]* (?P<base_time>\d{,2}:?\d{,2}:?\d{,2}\.?\d{,6})
    [ \t]* (?P<base_date>\d{,2}/?\d{,2}/?\d{,4})
    [ \t]* $""", re.VERBOSE)
_SIGNAL = re.compile(r"""
    [ \t]* (?P<file_name>~?[-\w]*\.?[\w]*)
    [ \t]+ (?P<fmt>\d+)
           x?(?P<samps_per_frame>\d*)
           :?(?P<skew>\d*)
           \+?(?P<byte_offset>\d*)
    [ \t]* (?P<adc_gain>-?\d*\.?\d*e?[\+-]?\d*)
           \(?(?P<baseline>-?\d*)\)?
           /?(?P<units>[\w\^\-\?%\/]*)
    [ \t]* (?P<adc_res>\d*)
    [ \t]* (?P<adc_zero>-?\d*)
    [ \t]* (?P<init_value>-?\d*)
    [ \t]* (?P<checksum>-?\d*)
    [ \t]* (?P<block_size>\d*)
    [ \t]* (?P<sig_name>[\S]?[^\t\n\r\f\v]*)""", re.VERBOSE)
#: wfdb's gain when a header gives none or 0 (ADC units per mV).
DEFAULT_GAIN = 200.0


@dataclass
class WfdbHeader:
    """The fields of a single-segment header that the reader uses, named as ``wfdb.Record``'s attributes."""

    record_name: str
    n_sig: int
    fs: float
    sig_len: int | None
    base_time: _dt.time | None
    base_date: _dt.date | None
    file_name: list[str] = field(default_factory=list)
    fmt: list[str] = field(default_factory=list)
    samps_per_frame: list[int] = field(default_factory=list)
    skew: list[int | None] = field(default_factory=list)
    byte_offset: list[int | None] = field(default_factory=list)
    adc_gain: list[float] = field(default_factory=list)
    baseline: list[int] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    sig_name: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    #: Always None: multi-segment headers are left to ``wfdb``.
    seg_name: None = None

    @property
    def base_datetime(self) -> _dt.datetime | None:
        if self.base_date is None or self.base_time is None:
            return None
        return _dt.datetime.combine(self.base_date, self.base_time)


def _time(text: str) -> _dt.time:
    fmt = {0: "%S", 1: "%M:%S", 2: "%H:%M:%S"}[text.count(":")]
    return _dt.datetime.strptime(text, fmt + (".%f" if "." in text else "")).time()


def _signal(line: str) -> dict | None:
    m = _SIGNAL.match(line)
    if m is None:
        return None
    g = m.groupdict()
    gain = float(g["adc_gain"]) if g["adc_gain"] else DEFAULT_GAIN
    if g["baseline"]:
        baseline = int(g["baseline"])
    else:
        baseline = int(g["adc_zero"]) if g["adc_zero"] else 0
    return {"file_name": g["file_name"], "fmt": g["fmt"],
            "samps_per_frame": int(g["samps_per_frame"]) if g["samps_per_frame"] else 1,
            "skew": int(g["skew"]) if g["skew"] else None,
            "byte_offset": int(g["byte_offset"]) if g["byte_offset"] else None,
            "adc_gain": gain or DEFAULT_GAIN, "baseline": baseline, "units": g["units"] or "mV",
            "sig_name": g["sig_name"] or None}


def parse_header(text: str) -> WfdbHeader | None:
    """The header in ``text``, or None when it is multi-segment or not read the way ``wfdb`` reads it."""
    lines, comments = [], []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            comments.append(line.strip(" \t#"))
        elif line:
            lines.append(line)
    if not lines:
        return None
    m = _RECORD.match(lines[0])
    if m is None:
        return None
    g = m.groupdict()
    try:
        fs = float(g["fs"]) if g["fs"] else 250.0
        base_time = _time(g["base_time"]) if g["base_time"] else None
        base_date = _dt.datetime.strptime(g["base_date"], "%d/%m/%Y").date() if g["base_date"] else None
    except (ValueError, KeyError):
        return None
    header = WfdbHeader(record_name=g["record_name"], n_sig=int(g["n_sig"]),
                        fs=int(fs) if round(fs, 8) == float(int(fs)) else fs,
                        sig_len=int(g["sig_len"]) if g["sig_len"] else None, base_time=base_time,
                        base_date=base_date, comments=comments)
    for line in lines[1:]:
        fields = _signal(line)
        if fields is None:
            return None
        for name, value in fields.items():
            getattr(header, name).append(value)
    if len(lines) - 1 != header.n_sig:
        return None  # wfdb's reader has the words for a header whose signal count and lines disagree
    return header
