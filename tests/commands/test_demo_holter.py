"""`anyecg demo --holter`: the MIT-BIH records joined end to end, as EDF+ and WFDB, with their annotations."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.cli import main as cli_main
from anyecg_model.io import open_recording
from anyecg_model.io.recording import RecordingError
from anyecg_model.mitdb_join import find_mitdb, join_mitdb

N_RECORD = 650_000  # samples of every MIT-BIH record (30:05.6 at 360 Hz)


@pytest.fixture(scope="module")
def mitdb(shared_data):
    return shared_data / "mitdb"


def test_cli_writes_the_join_as_edf_with_reference_annotations(mitdb, tmp_path, capsys):
    import wfdb

    out = tmp_path / "holter.edf"
    assert cli_main(["demo", "--holter", str(out), "--records", "100", "101", "--data", str(mitdb.parent)]) == 0
    assert "holter.edf: 1.00 h" in capsys.readouterr().out
    rec = open_recording(out)
    assert rec.lead_names[0] == "MLII" and rec.fs == 360.0
    assert 2 * N_RECORD <= rec.n_samples < 2 * N_RECORD + 3600  # EDF pads the last 10-s data record
    # the second record's samples follow the first's, at the ADC step (0.005 mV)
    ref, _ = wfdb.rdsamp(str(mitdb / "101"), sampfrom=1000, sampto=4600)
    got = rec.read(N_RECORD + 1000, N_RECORD + 4600)
    assert np.max(np.abs(got[0] - ref[:, 0])) <= 0.0051
    # every reference beat of both records, the second's shifted by one record
    beats = rec.annotations.beats()
    a100, a101 = wfdb.rdann(str(mitdb / "100"), "atr"), wfdb.rdann(str(mitdb / "101"), "atr")
    n_ref = [int(np.isin(a.symbol, list("NLRBAaJSVrFejnE/fQ?")).sum()) for a in (a100, a101)]
    assert len(beats) == sum(n_ref)
    first_101 = next(s for s, sym in zip(a101.sample, a101.symbol) if sym == "N")
    assert N_RECORD + first_101 in set(beats.sample.tolist())
    # each record's own leads in a comment annotation at its start
    notes = {int(s): a for s, sym, a in zip(rec.annotations.sample, rec.annotations.symbol, rec.annotations.aux)
             if sym == '"'}
    assert notes == {0: "MIT-BIH 100: leads MLII, V5", N_RECORD: "MIT-BIH 101: leads MLII, V1"}
    # the join has no date: midnight of EDF's 'unknown' 1985 date, so clock time equals elapsed time
    assert rec.start_time is not None and (rec.start_time.year, rec.start_time.hour, rec.start_time.minute) == (1985, 0, 0)


def test_mlii_goes_first_and_wfdb_keeps_annotations_beside(mitdb, tmp_path):
    import wfdb

    rec = join_mitdb(mitdb, ["114"])  # 114 stores V5 first
    assert rec.lead_names == ["MLII", "V5"]
    ref, fields = wfdb.rdsamp(str(mitdb / "114"), sampto=2000)
    np.testing.assert_allclose(rec.read(0, 2000)[0], ref[:, fields["sig_name"].index("MLII")], atol=1e-4)
    out = tmp_path / "join.hea"
    assert cli_main(["demo", "--holter", str(out), "--records", "114", "102", "--data", str(mitdb)]) == 0
    back = open_recording(out)
    assert back.n_samples == 2 * N_RECORD and back.lead_names == ["MLII", "V5"]
    atr = wfdb.rdann(str(tmp_path / "join"), "atr")
    assert "MIT-BIH 102: leads V5, V2" in atr.aux_note
    assert any("V5 in 102" in c for c in join_mitdb(mitdb, ["114", "102"]).comments)


def test_missing_data_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(RecordingError, match="unpack.sh"):
        find_mitdb(tmp_path)
    assert cli_main(["demo", "--holter", str(tmp_path / "x.edf"), "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("anyecg demo:") and "mitdb" in err and "\n" not in err
    assert not (tmp_path / "x.edf").exists()
    assert cli_main(["demo", "--holter", str(tmp_path / "x.txt"), "--data", str(tmp_path)]) == 2


def test_the_shared_archives_are_unpacked_when_needed(tmp_path, monkeypatch):
    """No unpacked data yet, but ../shared/data/unpack.sh exists: it is run once and its mitdb used."""
    dest = tmp_path / "unpacked"
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "unpack.sh").write_text(f"mkdir -p {dest}/mitdb && touch {dest}/mitdb/100.hea && echo {dest}\n")
    monkeypatch.setenv("ANYECG_DATA", str(tmp_path / "not-yet"))
    assert find_mitdb(shared=shared) == dest / "mitdb"
    # by default: ../shared/data of the working directory, else the one beside the project's checkout
    from anyecg_model import mitdb_join

    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.setattr(mitdb_join, "SHARED_BESIDE_CHECKOUT", shared)
    assert find_mitdb() == dest / "mitdb"
    with pytest.raises(RecordingError, match="ANYECG_DATA"):
        find_mitdb(shared=tmp_path / "nothing-here")
