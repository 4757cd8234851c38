"""The analysis-process protocol: every message kind is a frozen dataclass that crosses the transport unchanged
(arrays included), anything else is refused at both ends with an error that names it, and the relay runs a
request to its final reply, sending the samples again when the process asks for them."""
from __future__ import annotations

import dataclasses
import io
import pickle
import struct

import numpy as np
import pytest

from anyecg_model.analysis import protocol as p
from anyecg_model.analysis.builder import FindingsRules
from anyecg_model.analysis.chunks import ChunkResult
from anyecg_model.analysis.findings import Beats, ModelInfo
from anyecg_model.analysis.recording_ref import SignalFiles, recording_ref
from anyecg_model.analysis.relay import Relay
from anyecg_model.analysis.transport import ProtocolError, read_message, write_message
from anyecg_model.io.recording import Recording


def _recording_ref():
    rec = Recording.from_array(np.arange(500, dtype=np.float32).reshape(2, 250) / 100, 250.0, ["II", "V1"],
                               path="two.hea")
    return recording_ref(rec, SignalFiles())


def one_of_each() -> list[p.Message]:
    ref = _recording_ref()
    job = p.JobSpec(ref, "/models/small", "auto", ("anomaly", "arrhythmia"), (60.0, 70.0), "/cache",
                    (("ECG", "II"),))
    gen = p.GenerationSpec(ref, (1,), ("V1",), 10.0, 40.0, "/models/small", "cpu", export_to="/out/x.hea")
    part = ChunkResult(0.0, 60.0, np.arange(0.0, 60.0, 5.0), np.arange(10.0, 70.0, 5.0),
                       r_peaks_s=np.array([0.4, 1.2]),
                       beats=Beats(np.array([0.4, 1.2]), np.array([0, 2], np.int8), np.array([0.9, 0.7], np.float32)),
                       anomaly_logit=np.linspace(-1, 1, 12, dtype=np.float32), progress=0.25)
    return [
        p.Job(1, job), p.Generate(2, gen), p.Warm(3, "/models/small", "auto"), p.Focus(1, 600.0, 610.0),
        p.Cancel(1), p.Forget(0, "/models/small"), p.Quit(0),
        p.ModelReady(1, ModelInfo("anyecg-small", "0.2.0", "ab12"), "cpu", FindingsRules(anomaly_threshold=0.6)),
        p.Partial(1, part), p.Notice(1, "CUDA ran out of memory: the analysis continues on the CPU."),
        p.Progress(2, 0.5), p.Done(1, {"record": "two", "fs": 250.0}, {"beat_time_s": np.array([0.4, 1.2])}),
        p.Generated(2, 10.0, 250.0, np.ones((1, 7500), np.float32)), p.Exported(2, "/out/x.hea"),
        p.Failed(1, "no lead the model knows"), p.ModelUnusable(1, "/models/none", "config.json missing"),
        p.Cancelled(1), p.SendSamples(1), p.Warmed(3, 4.5), p.WarmFailed(3, "no weights"),
    ]


def assert_same(a, b) -> None:
    """Equal, arrays compared by value, through dataclasses, dicts, tuples and lists."""
    assert type(a) is type(b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b


def test_every_message_kind_round_trips_through_the_transport():
    sent = one_of_each()
    assert {type(m) for m in sent} == set(p.MESSAGES)  # one of each kind, none forgotten
    pipe = io.BytesIO()
    for msg in sent:
        write_message(pipe, msg)
    pipe.seek(0)
    for msg in sent:
        back = read_message(pipe)
        assert_same(msg, back)
        assert type(back).__dataclass_params__.frozen
    with pytest.raises(EOFError):
        read_message(pipe)


def test_final_replies_are_the_ones_that_end_a_request():
    finals = {cls.__name__ for cls in p.MESSAGES if cls.final}
    assert finals == {"Done", "Generated", "Exported", "Failed", "ModelUnusable", "Cancelled", "SendSamples",
                      "Warmed", "WarmFailed"}
    assert not any(cls.final for cls in p.REQUESTS)


@pytest.mark.parametrize("stranger", [("job", 1, None), {"kind": "cancel", "id": 1}, "quit", None])
def test_an_unknown_message_is_refused_when_sent_with_an_error_that_names_it(stranger):
    pipe = io.BytesIO()
    with pytest.raises(ProtocolError, match=f"not an analysis-process message: {type(stranger).__name__}"):
        write_message(pipe, stranger)
    assert pipe.getvalue() == b""  # nothing half-written


def test_an_unknown_message_is_refused_when_received():
    data = pickle.dumps(("partial", 1, None))
    pipe = io.BytesIO(struct.pack("<Q", len(data)) + data)
    with pytest.raises(ProtocolError, match=r"not an analysis-process message: tuple .*the protocol knows .*Job"):
        read_message(pipe)


class FakeProcess:
    """A process stand-in: requests are answered from a script of reply lists, one list per request."""

    def __init__(self, script):
        self.script, self.sent, self.posted, self._ids = list(script), [], [], 0
        self.inbox = None

    def next_id(self):
        self._ids += 1
        return self._ids

    def listen(self, wire):
        import queue

        process = self

        class Inbox:
            def __init__(self):
                self.q = queue.SimpleQueue()

            def put(self, msg):
                self.q.put(msg)

            def get(self, timeout=None):
                return self.q.get(timeout=5)

            def __enter__(self):
                process.inbox = self
                return self

            def __exit__(self, *exc):
                process.inbox = None

        return Inbox()

    def send(self, msg):
        self.sent.append(msg)
        for reply in self.script.pop(0):
            self.inbox.put(dataclasses.replace(reply, id=msg.id))

    def post(self, msg):
        self.posted.append(msg)
        return True


def test_the_relay_hands_on_replies_resends_with_the_samples_and_returns_the_final_one():
    ready = p.ModelReady(0, ModelInfo("m", "1", ""), "cpu", FindingsRules())
    proc = FakeProcess([[ready, p.SendSamples(0)], [ready, p.Notice(0, "n"), p.Cancelled(0)]])
    seen, sent_ids = [], []
    end = Relay(proc).run(lambda wire, by_path: p.Warm(wire, str(by_path), "cpu"), seen.append, sent_ids.append)
    assert end == p.Cancelled(2)
    assert [(m.id, m.model_dir) for m in proc.sent] == [(1, "True"), (2, "False")]  # again, by value, new id
    assert sent_ids == [1, 2] and [type(m) for m in seen] == [p.ModelReady, p.ModelReady, p.Notice]


def test_an_abandoned_relay_returns_nothing_and_its_cancel_reaches_the_process():
    proc = FakeProcess([[p.Progress(0, 0.5), p.Exported(0, "x.hea")]])
    relay = Relay(proc)
    given_up = []

    def on_reply(msg):
        given_up.append(True)
        relay.cancel()

    assert relay.run(lambda wire, _: p.Warm(wire, "m", "cpu"), on_reply, abandoned=lambda: bool(given_up)) is None
    assert proc.posted == [p.Cancel(1)] and relay.wire is None
