"""The pipe between a viewer and its analysis process: each :mod:`.protocol` message pickled and preceded by
its length (8 bytes, little endian).

Requests go over the child's stdin, replies over a duplicate of its stdout (the child points its own stdout at
stderr, so a stray ``print`` cannot corrupt the stream). Pickle is safe here: both ends are this program, over
private pipes; reads block in the OS with the GIL released. Only the classes of
:data:`~.protocol.MESSAGES` pass, in both directions: anything else is a :class:`ProtocolError` naming it.
"""
from __future__ import annotations

import pickle
import struct
from typing import BinaryIO

from .protocol import MESSAGES, Message

_HEADER = struct.Struct("<Q")


class ProtocolError(ValueError):
    """Something that is not a message of the analysis-process protocol was sent or received."""


def check_message(msg: object) -> Message:
    """``msg`` itself when it is a protocol message, else :class:`ProtocolError`."""
    if type(msg) not in MESSAGES:
        known = ", ".join(sorted(cls.__name__ for cls in MESSAGES))
        raise ProtocolError(f"not an analysis-process message: {type(msg).__name__} {msg!r:.80} "
                            f"(the protocol knows {known})")
    return msg


def write_message(stream: BinaryIO, msg: Message) -> None:
    """Send one message (:class:`ProtocolError` before anything is written when it is not one)."""
    data = pickle.dumps(check_message(msg), protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_message(stream: BinaryIO) -> Message:
    """The next message; EOFError when the other end has closed the pipe, :class:`ProtocolError` when what
    came is not a protocol message."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("pipe closed")
    n = _HEADER.unpack(head)[0]
    data = stream.read(n)
    if len(data) < n:
        raise EOFError("pipe closed mid-message")
    return check_message(pickle.loads(data))
