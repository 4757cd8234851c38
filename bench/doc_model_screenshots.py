"""Re-make the user guide's model images (docs/images/model_*.png and report_12lead.png) with a model.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/doc_model_screenshots.py [--out docs/images] [--model DIR]

Every image is made with default viewer settings, an empty findings cache and an empty edit journal (temporary
folders), so the model really runs and no earlier edits or restore questions show:

* ``model_window.png`` — ``anyecg-viewer 201.hea --analyze --screenshot --window 600,630``: MIT-BIH record 201
  at 10:00–10:30, grabbed as soon as the visible window's findings are drawn (the analysis is still running).
* ``model_beats.png``, ``model_panel.png``, ``model_timeline.png`` — record 201 after the whole analysis: the
  trace area at ``--beats-view`` (default 26:22–26:32, the SVTA run), the model dock, the overview bar.
* ``model_generated.png`` — the 12-lead demo (``anyecg_model.demo.demo_12lead``) with V2 replaced by Gaussian
  noise (0.5 mV), stacked layout, first 6 s: analysed, then *Detect bad leads*, shown "generated only".
* ``report_12lead.png`` — the 12-lead report of the demo with the model's findings (as ``anyecg report``), page 1
  rasterised at 110 dpi with pypdfium2.

Record 201 is read from ``~/.cache/anyecg/data/mitdb``. PNGs are saved optimised, without an alpha channel.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RECORD_201 = Path.home() / ".cache" / "anyecg" / "data" / "mitdb" / "201.hea"
WINDOW_SIZE = (1600, 900)  # as --screenshot; the docks make the window taller


def save_png(image, path: Path) -> None:
    """Save a QImage/QPixmap or PIL image as an optimised RGB PNG."""
    from PIL import Image

    if not isinstance(image, Image.Image):
        tmp = path.with_suffix(".tmp.png")
        image.save(str(tmp))
        image = Image.open(tmp)
        image.load()
        tmp.unlink()
    image.convert("RGB").save(path, optimize=True)
    print(f"{path}  {image.size[0]} x {image.size[1]}")


def fresh_env(tmp: Path, name: str) -> dict[str, str]:
    """Environment with an empty findings cache and edit journal of its own."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANYECG_CACHE=str(tmp / name / "cache"),
               ANYECG_JOURNAL_DIR=str(tmp / name / "journal"))
    return env


def model_window(out: Path, tmp: Path, model: str | None) -> None:
    shot = tmp / "model_window.png"
    cmd = [sys.executable, "-m", "app.main", str(RECORD_201), "--analyze", "--screenshot", str(shot),
           "--window", "600,630"] + (["--model", model] if model else [])
    env = fresh_env(tmp, "window")
    env["XDG_CONFIG_HOME"] = str(tmp / "window" / "config")  # default settings, the user's left alone
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    from PIL import Image

    save_png(Image.open(shot), out / "model_window.png")


def report_12lead(out: Path, tmp: Path, model: str | None) -> None:
    """As ``anyecg report DEMO --kind 12lead``, with this model's findings."""
    os.environ.update(fresh_env(tmp, "report"))
    import pypdfium2

    from anyecg_model.demo import demo_12lead
    from anyecg_model.report import TwelveLeadConfig, render_12lead
    from anyecg_model.report.model_source import model_findings

    rec = demo_12lead()
    findings = model_findings(rec, model_dir=model)
    if findings is None:
        raise SystemExit("the model gave no findings for the 12-lead demo")
    pdf = tmp / "report_12lead.pdf"
    render_12lead(rec, pdf, TwelveLeadConfig(), findings)
    page = pypdfium2.PdfDocument(str(pdf))[0]
    save_png(page.render(scale=110 / 72).to_pil(), out / "report_12lead.png")


def in_viewer(out: Path, tmp: Path, model: str | None, beats_view: tuple[float, float]) -> None:
    """The images grabbed from a window driven in this process (one window per recording)."""
    os.environ.update(fresh_env(tmp, "viewer"))
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    from anyecg_model.demo import demo_12lead
    from anyecg_model.io.recording import Recording
    from app.main_window import MainWindow
    from app.settings import ViewerSettings

    def spin(cond, timeout_s: float = 600.0) -> None:
        deadline = QtCore.QDeadlineTimer(int(timeout_s * 1000))
        while not cond() and not deadline.hasExpired():
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if not cond():
            raise SystemExit("timed out waiting for the viewer")

    def settle(win) -> None:
        for _ in range(10):
            app.processEvents()
        win.trace.wait_rendered()
        QtCore.QThread.msleep(200)
        for _ in range(10):
            app.processEvents()

    def new_window(name: str):
        ini = tmp / f"{name}.ini"
        win = MainWindow(ViewerSettings(QtCore.QSettings(str(ini), QtCore.QSettings.Format.IniFormat)))
        if model:
            win.model.set_model_dir(model, remember=False)
        win.resize(*WINDOW_SIZE)
        win.show()
        return win

    def analyse(win) -> None:
        """Run the model and wait for its findings and, for a recording with beats, its beat suggestions (staged
        on timers after the findings are drawn)."""
        done: list[int] = []
        shown: list[int] = []
        win.model.findingsDrawn.connect(lambda: done.append(1))
        win.editing.suggestionsShown.connect(shown.append)
        win.model.analyze()
        spin(lambda: bool(done))
        findings = win.model.findings
        if findings is not None and findings.beats is not None and len(findings.beats.time_s):
            spin(lambda: bool(shown))

    # record 201, whole analysis
    win = new_window("r201")
    if not win.open_path(str(RECORD_201)):
        raise SystemExit(f"cannot open {RECORD_201}")
    spin(win.trace.has_pyramid)
    analyse(win)
    win.trace.set_view(*beats_view)
    settle(win)
    save_png(win.trace.grab(), out / "model_beats.png")
    save_png(win.model.panel.grab(), out / "model_panel.png")
    save_png(win.overview.grab(), out / "model_timeline.png")
    win.model.shutdown()
    win.close()

    # the 12-lead demo with V2 replaced by noise
    demo = demo_12lead()
    data = demo.read(0, demo.n_samples).copy()
    v2 = demo.lead_names.index("V2")
    data[v2] = np.random.default_rng(0).normal(0.0, 0.5, data.shape[1]).astype(np.float32)
    rec = Recording.from_array(data, demo.fs, demo.lead_names, path="waveform_ecg_v2_noise.dcm", format="dicom")
    win = new_window("gen")
    win.set_recording(rec)
    win.set_clinical_layout(False)  # the 3 × 4 leaves most of the trace area empty at this window size
    win.trace.set_view(0.0, 6.0)
    settle(win)
    analyse(win)
    gen = win.model.generated
    if v2 not in gen.detect():
        raise SystemExit("the noisy V2 was not detected")
    spin(lambda: v2 in gen.ghosts.items)
    gen.mode_combo.setCurrentText("generated only")
    settle(win)
    save_png(win.grab(), out / "model_generated.png")
    win.model.shutdown()
    win.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "images"), help="output folder (default docs/images)")
    p.add_argument("--model", help="model checkpoint folder (default: the shipped model, model.shipped.SHIPPED_MODEL_DIR)")
    p.add_argument("--beats-view", default="1582,1592", help="START,END s of model_beats.png in record 201")
    p.add_argument("--only", choices=("window", "viewer", "report"), help="make only these images")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0, t1 = (float(v) for v in args.beats_view.split(","))
    with tempfile.TemporaryDirectory(prefix="anyecg-docshots-") as d:
        tmp = Path(d)
        if args.only in (None, "window"):
            model_window(out, tmp, args.model)
        if args.only in (None, "report"):
            report_12lead(out, tmp, args.model)
        if args.only in (None, "viewer"):
            in_viewer(out, tmp, args.model, (t0, t1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
