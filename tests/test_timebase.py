"""One time base for every printed and shown time: clock time (with the day after midnight) when the file has a
start time, else elapsed time that says so."""
from __future__ import annotations

import datetime as dt

from anyecg_model.timebase import TimeBase

START = dt.datetime(2026, 11, 20, 21, 35, 0)


def test_clock_time_carries_the_day_after_midnight():
    tb = TimeBase(START)
    assert tb.is_clock and tb.column == "clock time"
    assert tb.at(0) == "21:35:00"
    assert tb.at(47711.93) == "10:50:11 (day 2)"
    assert tb.at(47711.93, decimals=2) == "10:50:11.93 (day 2)"
    assert tb.span(600.0, 770.0) == "21:45:00–21:47:50"
    assert "2026-11-20 21:35:00" in tb.description


def test_elapsed_time_is_always_labelled():
    tb = TimeBase(None)
    assert not tb.is_clock and tb.column == "elapsed"
    assert tb.at(47700.0) == "+13:15:00 elapsed"
    assert tb.at(47700.0, label=False) == "+13:15:00"
    assert tb.at(12.3456, decimals=3) == "+0:00:12.345 elapsed"  # truncated, never later than it is
    assert tb.at(59.9999) == "+0:00:59 elapsed"
    assert tb.span(60.0, 70.0) == "+0:01:00–+0:01:10 elapsed"
    assert tb.at(float("nan")) == "–"


def test_time_base_of_a_recording(sim_12lead, holter_3h):
    assert TimeBase.of(holter_3h).at(3600.0) == "09:00:00"
    assert TimeBase.of(sim_12lead).at(3.0) == "+0:00:03 elapsed"


def test_typed_times_read_as_they_are_written():
    tb = TimeBase(START)
    for t in (0.0, 600.0, 47711.0, 90000.0):
        assert tb.parse(tb.at(t)) == t and tb.parse(tb.at(t, label=False)) == t
    assert tb.parse("10:50:11") == 47711.0  # a time of day before the start: the next day
    assert tb.parse("22:00:00") == 1500.0
    assert tb.parse("+13:15:11") == tb.parse("13:15:11 elapsed") == 47711.0
    assert tb.parse("90") == 90.0  # plain seconds are elapsed
    elapsed = TimeBase(None)
    assert elapsed.parse(elapsed.at(47711.0)) == 47711.0 and elapsed.parse("1:30") == 90.0
    for bad in ("", "noon", "10:50:11 (day 2)x"):
        try:
            tb.parse(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
