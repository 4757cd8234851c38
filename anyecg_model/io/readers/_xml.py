"""Safe XML parsing for vendor ECG files: no entity expansion, no network, bounded size."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from lxml import etree

from ..recording import RecordingError

#: Largest XML file parsed (a 12-lead cart ECG is well under 10 MB).
MAX_XML_BYTES = 256 * 1024 * 1024


def parse_xml(path: Path) -> etree._Element:
    """The root element of ``path`` with namespaces stripped from every tag."""
    size = path.stat().st_size
    if size > MAX_XML_BYTES:
        raise RecordingError(path, f"XML file of {size} bytes is too large for an ECG cart export")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
                             load_dtd=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise RecordingError(path, f"malformed XML: {exc}") from exc
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def text_of(el, path: str, default: str | None = None) -> str | None:
    """Stripped text of the first element at ``path`` below ``el``, or ``default``."""
    found = el.find(path) if el is not None else None
    if found is None or found.text is None or not found.text.strip():
        return default
    return found.text.strip()


def parse_timestamp(value: str | None) -> _dt.datetime | None:
    """``YYYYMMDD[HHMMSS[.fff]]`` (HL7, DICOM) as a datetime, or None when absent or invalid."""
    if not value:
        return None
    digits = value.split(".")[0].split("+")[0].split("-")[0]
    for fmt in ("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"):
        try:
            return _dt.datetime.strptime(digits[:len(_dt.datetime(2000, 1, 1).strftime(fmt))], fmt)
        except ValueError:
            continue
    return None
