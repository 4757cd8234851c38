"""File ▸ Export image / Copy view / Print report: true-scale PNG and SVG at the chosen DPI, with or without grid
and overlays, spans of the recording, the clipboard, and PDFs written in the background."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6 import QtGui, QtWidgets

from app.export.view_image import ImageOptions

pypdfium2 = pytest.importorskip("pypdfium2")


def pixels(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return arr[:, : img.width(), 2::-1].astype(int)  # BGRA in memory → RGB


def minor_spacing_px(rgb: np.ndarray) -> float:
    """Mean distance (px) between the vertical pink grid lines of an image."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    pink = (r > 200) & (r - g > 20) & (r - b > 10)
    frac = pink.mean(axis=0)
    cols = np.flatnonzero(frac > 0.5)
    groups = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)
    centres = np.array([grp.mean() for grp in groups if grp.size])
    return float((centres[-1] - centres[0]) / (centres.size - 1))


@pytest.fixture
def shown(window, sinus):
    window.set_recording(sinus)
    window.trace.set_view(10.0, 20.0)
    window.trace.set_speed(25.0)
    assert window.trace.wait_rendered()
    return window


def test_menu_has_the_export_actions(shown):
    texts = [a.text() for a in shown.menu("File").actions()]
    for wanted in ("&Export image…", "&Copy view to clipboard", "Print 12-lead &report (PDF)…",
                   "Print &Holter summary (PDF)…"):
        assert wanted in texts
    assert texts[-1] == "&Quit"


@pytest.mark.parametrize("dpi", [150.0, 300.0])
def test_view_png_is_true_scale_at_the_chosen_dpi(shown, tmp_path, dpi):
    out = shown.export.export_view(tmp_path / "view.png", ImageOptions(dpi=dpi))
    img = QtGui.QImage(str(out))
    vb = shown.trace.viewbox
    factor = dpi / shown.trace.scale.dpi
    assert img.width() == round(vb.width() * factor) and img.height() == round(vb.height() * factor)
    assert img.dotsPerMeterX() == pytest.approx(dpi / 0.0254, rel=1e-3)
    assert minor_spacing_px(pixels(img)) == pytest.approx(dpi / 25.4, rel=0.02)


def test_grid_and_overlays_can_be_left_out(shown, tmp_path):
    def counts(options):
        rgb = pixels(QtGui.QImage(str(shown.export.export_view(tmp_path / "v.png", options))))
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        pink = ((r > 200) & (r - g > 20)).sum()
        green = ((g > r + 40) & (g > b + 20)).sum()  # beat codes of the annotation lane
        ink = (rgb.max(axis=2) < 80).sum()
        return pink, green, ink

    full = counts(ImageOptions(dpi=120))
    bare = counts(ImageOptions(dpi=120, grid=False, overlays=False))
    assert full[0] > 10_000 and bare[0] == 0
    assert full[1] > 50 and bare[1] == 0
    assert bare[2] > 500  # the traces are still there
    assert shown.trace.grid.isVisible() and all(lane.isVisible() for lane in shown.trace.lanes().values())


def test_svg_has_the_physical_size_of_the_view(shown, tmp_path):
    out = shown.export.export_view(tmp_path / "view.svg", ImageOptions(dpi=300))
    text = out.read_text()
    width_mm = float(re.search(r'width="([\d.]+)mm"', text).group(1))
    expected = shown.trace.viewbox.width() / shown.trace.scale.px_per_mm
    assert width_mm == pytest.approx(expected, rel=0.01)
    assert "<path" in text or "<polyline" in text


def test_span_beyond_the_view_at_true_scale(shown, tmp_path, qtbot):
    dpi = 254.0  # 10 px per mm
    with qtbot.waitSignal(shown.export.spanExported, timeout=60_000) as sig:
        shown.export.export_span(60.0, 72.0, ImageOptions(dpi=dpi, grid=False), tmp_path / "span.png")
    rgb = pixels(QtGui.QImage(str(sig.args[0])))
    spec = shown.export.span_spec(60.0, 72.0)
    w_mm, h_mm = spec.size_mm(True)
    assert rgb.shape[1] == round(w_mm * 10) and rgb.shape[0] == round(h_mm * 10)
    # first lead row: R waves of a 75 bpm rhythm are 0.8 s × 25 mm/s = 20 mm = 200 px apart
    row = rgb[int(8 * 10):int((8 + 0.45 * 30) * 10), 110:]
    tall = (row.max(axis=2) < 90).any(axis=0)
    starts = np.flatnonzero(np.diff(tall.astype(int)) == 1)
    assert np.median(np.diff(starts)) == pytest.approx(200.0, rel=0.02)


def test_too_long_a_span_is_a_message_not_a_crash(shown, tmp_path):
    assert shown.export.export_span(0.0, 290.0 + 400.0, ImageOptions(), tmp_path / "x.png") is None
    assert shown.export.last_message is not None and "longer than" in shown.export.last_message.text()
    assert shown.export.export_view(tmp_path / "no" / "dir" / "x.png", ImageOptions()) is None
    assert not (tmp_path / "x.png").exists()
    with pytest.raises(ValueError):
        ImageOptions(dpi=10_000)


def test_copy_view_puts_the_image_on_the_clipboard(shown):
    image = shown.export.copy_view(ImageOptions(dpi=200))
    clip = QtWidgets.QApplication.clipboard().image()
    assert not clip.isNull() and (clip.width(), clip.height()) == (image.width(), image.height())


def test_dialog_saves_a_span(shown, tmp_path, qtbot):
    dialog = shown.export.open_dialog()
    qtbot.addWidget(dialog)
    dialog.span_radio.setChecked(True)
    dialog.start_edit.setText("0:00:30")
    dialog.end_edit.setText("0:00:35")
    dialog.dpi_combo.setCurrentText("150")
    options, span = dialog.options(), dialog.span()
    assert span == (30.0, 35.0) and options.dpi == 150.0
    with qtbot.waitSignal(shown.export.spanExported, timeout=60_000):
        assert dialog.save_to(str(tmp_path / "d.png"), options, span)
    assert QtGui.QImage(str(tmp_path / "d.png")).width() > 0
    assert dialog.message.text().startswith("Saved")
    with qtbot.waitSignal(shown.export.spanExported, timeout=60_000):
        dialog.copy()
    assert QtWidgets.QApplication.clipboard().image().width() == QtGui.QImage(str(tmp_path / "d.png")).width()
    assert dialog.message.text().startswith("Copied")
    dialog.dpi_combo.setCurrentText("lots")
    dialog.copy()
    assert "not a number" in dialog.message.text()


def test_report_is_written_in_the_background(shown, tmp_path, qtbot):
    out = tmp_path / "holter.pdf"
    with qtbot.waitSignal(shown.export.reportWritten, timeout=60_000):
        shown.export.write_report("holter", out)
    doc = pypdfium2.PdfDocument(str(out))
    text = doc[0].get_textpage().get_text_range()
    assert "Holter summary" in text and "Reference annotations from the file" in text
    assert "Beats " in text and "Ventricular ectopy" in text


def test_report_uses_the_findings_the_model_panel_shows(shown, tmp_path, qtbot, monkeypatch):
    from types import SimpleNamespace

    rec = shown.recording
    data = {"record": "<sinus>", "duration_s": rec.duration_s, "fs": rec.fs, "leads": rec.lead_names,
            "model": {"name": "AnyECG-test", "version": "7", "sha256": "ab" * 32},
            "anomaly": {"score": 0.2, "label": "normal", "windows": []}, "beats": None, "rhythm": None,
            "summary": {"heart_rate_bpm": {"mean": 75, "min": 75, "max": 75}, "af_burden": 0.0, "n_beats": None}}
    findings = SimpleNamespace(record="<sinus>", duration_s=rec.duration_s, to_dict=lambda: data)
    # what app/model's controller exposes as window.model.findings
    monkeypatch.setattr(shown, "model", SimpleNamespace(findings=findings), raising=False)
    out = tmp_path / "r.pdf"
    with qtbot.waitSignal(shown.export.reportWritten, timeout=60_000):
        shown.export.write_report("12lead", out)
    text = pypdfium2.PdfDocument(str(out))[0].get_textpage().get_text_range()
    assert "Model findings: AnyECG-test v7" in text and "Anomaly: normal (score 0.20)" in text
    findings.record = "another.hea"  # findings of another file are never printed
    assert shown.export.shown_model_findings() is None


def test_unreadable_signal_is_a_message(shown, tmp_path, monkeypatch, qtbot):
    from anyecg_model.io.recording import RecordingError

    def broken(*args, **kwargs):
        raise RecordingError(shown.recording.path, "cannot read samples: device unplugged")

    monkeypatch.setattr(shown.recording, "read", broken)
    shown.export.last_message = None
    assert shown.export.export_span(1.0, 5.0, ImageOptions(dpi=96), tmp_path / "s.png") is not None
    qtbot.waitUntil(lambda: shown.export.last_message is not None, timeout=30_000)
    assert "device unplugged" in shown.export.last_message.text()
    assert not (tmp_path / "s.png").exists()


def test_ctrl_e_opens_the_export_dialog_it_imports_on_first_use(shown, qtbot):
    from PySide6 import QtCore

    from app.export.dialog import ExportDialog

    shown.show()
    qtbot.waitExposed(shown)
    shown.activateWindow()
    qtbot.keyClick(shown.trace, QtCore.Qt.Key.Key_E, QtCore.Qt.KeyboardModifier.ControlModifier)
    dialogs = [w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, ExportDialog) and w.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].close()
