"""Helpers of the report tests: rasterise a PDF page, read its text and page size (pypdfium2), and a findings
dict in the ``anyecg analyze`` schema."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anyecg_model.io import Recording

pdfium = pytest.importorskip("pypdfium2")

#: Rasterisation resolution of the geometry tests: 254 dpi is exactly 10 pixels per millimetre.
DPI = 254.0


def rasterise(pdf: Path, page: int = 0, dpi: float = DPI) -> np.ndarray:
    """Page ``page`` of ``pdf`` as an (h, w, 3) uint8 RGB array at ``dpi``."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return np.asarray(doc[page].render(scale=dpi / 72.0).to_pil().convert("RGB"))
    finally:
        doc.close()


def pdf_text(pdf: Path) -> list[str]:
    """The text of every page of ``pdf``."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def page_size_mm(pdf: Path, page: int = 0) -> tuple[float, float]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        w, h = doc[page].get_size()
        return w / 72.0 * 25.4, h / 72.0 * 25.4
    finally:
        doc.close()


def analysis_json(rec: Recording, generated=()) -> dict:
    """A findings dict in the ``anyecg analyze`` schema (issue 5)."""
    return {
        "record": "demo", "duration_s": rec.duration_s, "fs": rec.fs, "leads": rec.lead_names,
        "model": {"name": "AnyECG-S", "version": "0.3.1", "sha256": "0123456789abcdef" * 4},
        "anomaly": {"score": 0.91, "label": "abnormal", "windows": [{"start_s": 2.0, "end_s": 4.0, "score": 0.93}]},
        "beats": [{"time_s": float(t), "label": "V" if k == 3 else "N", "confidence": 0.87}
                  for k, t in enumerate(np.arange(0.6, rec.duration_s - 0.5, 0.95))],
        "rhythm": {"record_class": {"label": "A", "probabilities": {"N": 0.2, "A": 0.74, "O": 0.06}},
                   "episodes": [{"start_s": 0.0, "end_s": 10.0, "label": "AF", "confidence": 0.8}]},
        "summary": {"heart_rate_bpm": {"mean": 61, "min": 58, "max": 64}, "af_burden": 1.0, "n_beats": 10},
        **({"generated_leads": list(generated)} if generated else {}),
    }
