"""MIT-BIH annotation codes ↔ EDF+ annotation texts (shared by the EDF reader and writer).

A beat is written as its code (``N``, ``V``); a rhythm change as ``+`` followed by its aux text
(``+(AFIB``); any other code with aux text as ``code aux`` (``~ noisy``). Text that is not a code
(sleep stages, events from other systems) becomes a comment annotation ``"`` with the text as aux.
"""
from __future__ import annotations

#: Every MIT-BIH annotation code wfdb knows.
MIT_CODES = frozenset("N L R a V F J A S E j / Q ~ | s T * D \" = p B ^ t + u ? ! [ ] e n @ x f ( ) r".split())


def annotation_text(symbol: str, aux: str = "") -> str:
    """The EDF+ text of an annotation with MIT code ``symbol`` and aux text ``aux``."""
    aux = (aux or "").rstrip("\x00")
    if symbol == '"' and aux:
        return aux
    if not aux:
        return symbol
    return f"+{aux}" if symbol == "+" else f"{symbol} {aux}"


def parse_annotation_text(text: str) -> tuple[str, str]:
    """(symbol, aux) of an EDF+ annotation text; inverse of :func:`annotation_text`."""
    text = text.strip()
    if text in MIT_CODES:
        return text, ""
    if text.startswith("+(") or (text.startswith("+") and len(text) > 1 and not text[1].isdigit()):
        return "+", text[1:]
    if len(text) > 2 and text[0] in MIT_CODES and text[1] == " ":
        return text[0], text[2:]
    return '"', text
