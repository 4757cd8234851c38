"""The lead-name alias table and the mapping of a recording's leads to model slots."""
from __future__ import annotations

import pytest

from anyecg_model.vocabulary.leads import ASSUMED_HOLTER_SLOTS, ASSUMED_SLOT, is_non_ecg, resolve
from anyecg_model.vocabulary.lead_map import LeadMapError, canonical_lead_name, map_leads, parse_lead_map

# file name → (canonical name, slot, exact)
EXPECTED = {
    "I": ("I", "I", True), "II": ("II", "II", True), "III": ("III", "III", True),
    "D1": ("I", "I", True), "DI": ("I", "I", True), "D2": ("II", "II", True), "D3": ("III", "III", True),
    "DIII": ("III", "III", True), "LA-RA": ("I", "I", True), "LL-RA": ("II", "II", True),
    "Lead II": ("II", "II", True), "II ": ("II", "II", True), "lead ii": ("II", "II", True),
    "ECG II": ("II", "II", True), "ECG_II": ("II", "II", True), "EKG II": ("II", "II", True),
    "ECG Lead II": ("II", "II", True), "ecg-ii": ("II", "II", True),
    "avR": ("aVR", "aVR", True), "aVR": ("aVR", "aVR", True), "AVR": ("aVR", "aVR", True),
    "aVL": ("aVL", "aVL", True), "AVF": ("aVF", "aVF", True), "-aVR": ("-aVR", "aVR", True),
    "V1": ("V1", "V1", True), "v6": ("V6", "V6", True), "C3": ("V3", "V3", True), "ECG V5": ("V5", "V5", True),
    "MLII": ("MLII", "II", False), "MLI": ("MLI", "I", False), "MLIII": ("MLIII", "III", False),
    "ML2": ("MLII", "II", False), "ML": ("ML", "II", False), "ML5": ("ML5", "V5", False),
    "CM5": ("CM5", "V5", False), "CM2": ("CM2", "V2", False), "CM1": ("CM1", "V1", False),
    "CC5": ("CC5", "V5", False), "CS5": ("CS5", "V5", False), "MCL1": ("MCL1", "V1", False),
    "MV1": ("MV1", "V1", False), "mod.V1": ("mod.V1", "V1", False), "MOD V1": ("mod.V1", "V1", False),
    "V4-V5": ("V4-V5", "V4", False), "V1-V2": ("V1-V2", "V1", False),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_alias_maps_to_its_slot(name):
    alias = resolve(name)
    assert alias is not None, name
    assert (alias.name, alias.slot, alias.exact) == EXPECTED[name]
    assert canonical_lead_name(name) == EXPECTED[name][0]


@pytest.mark.parametrize("name", ["ECG", "ECG1", "ECG2", "ecg 1", "EKG", "ECG channel 2"])
def test_a_channel_named_ecg_is_an_ecg_of_unknown_lead(name):
    alias = resolve(name)
    assert alias is not None and alias.generic and alias.slot is None
    assert canonical_lead_name(name) == name.strip()  # shown as the file names it


@pytest.mark.parametrize("name", ["Resp", "ABP", "PLETH", "SpO2", "EDF Annotations", "EEG Fpz-Cz"])
def test_non_ecg_channels_are_known(name):
    assert resolve(name) is None and is_non_ecg(name)


def test_only_minus_avr_is_inverted():
    assert resolve("-aVR").inverted and not resolve("aVR").inverted and not resolve("AVR").inverted
    assert resolve("V7") is None and resolve("V4R") is None and resolve("") is None  # no slot of their own


def test_a_lone_ecg_channel_is_the_assumed_rhythm_lead():
    m = map_leads(["ECG"])
    assert m.by_name == {"ECG": ASSUMED_SLOT} and m.assumed == ["ECG"] and m.rhythm_lead == 0
    m = map_leads(["Resp", "ECG2"])  # the ECG-named channel; respiration never
    assert m.by_name == {"ECG2": ASSUMED_SLOT} and m.describe() == "ECG2→I (assumed)"
    assert map_leads(["ch1", "ch2"]).by_name == {"ch1": ASSUMED_SLOT}


def test_several_channels_named_only_ecg_are_a_holters_two_leads():
    """ECG1/ECG2 (Holter exports, PhysioNet's long-term databases): read as MIT-BIH's two Holter leads, not as
    one; a third ECG channel and respiration are left out."""
    m = map_leads(["Resp", "ECG2", "ECG1", "ECG3"])
    assert m.by_name == dict(zip(["ECG2", "ECG1"], ASSUMED_HOLTER_SLOTS)) == {"ECG2": "II", "ECG1": "V1"}
    assert m.assumed == ["ECG2", "ECG1"] and m.names[m.rhythm_lead] == "ECG2"
    assert m.describe() == "ECG2→II (assumed), ECG1→V1 (assumed)"
    assert map_leads(["Resp", "ABP"]).rhythm_lead is None
    assert map_leads(["ECG"], agnostic=False).slot == {}


def test_monitoring_leads_fill_the_slots_they_approximate():
    m = map_leads(["CM2", "ML5", "D3", "V4-V5"])
    assert m.by_name == {"CM2": "V2", "ML5": "V5", "D3": "III", "V4-V5": "V4"}
    assert m.assumed == ["CM2", "ML5", "V4-V5"]  # D3 is lead III itself
    assert m.rhythm_lead == 0  # no II: the first mapped lead
    m = map_leads(["V1", "MLII"])
    assert m.rhythm_lead == 1 and m.how == {0: "exact", 1: "approximate"}


def test_exact_names_win_a_slot_and_minus_avr_is_turned_upright():
    m = map_leads(["MLII", "II", "-aVR"])
    assert m.by_name == {"II": "II", "-aVR": "aVR"} and m.inverted == {2}
    assert m.describe() == "II→II, -aVR→aVR (inverted)"


def test_the_user_map_comes_first():
    m = map_leads(["ECG"], {"ECG": "ii"})
    assert m.by_name == {"ECG": "II"} and m.assumed == [] and m.how == {0: "user"}
    m = map_leads(["MLII", "V1"], {"mlii": "I", "V1": "none"})
    assert m.by_name == {"MLII": "I"}
    with pytest.raises(LeadMapError, match="leads are ECG"):
        map_leads(["ECG"], {"II": "I"})
    with pytest.raises(LeadMapError, match="not a model lead"):
        map_leads(["ECG"], {"ECG": "MLII"})


def test_lead_map_options_parse_repeated_and_comma_lists():
    assert parse_lead_map(["ECG1=II,ECG2=V5", "Resp=none"]) == {"ECG1": "II", "ECG2": "V5", "Resp": "none"}
    with pytest.raises(LeadMapError, match="FILE_LEAD=SLOT"):
        parse_lead_map(["ECG"])


def test_a_user_can_map_a_lead_recorded_upside_down():
    m = map_leads(["MLII", "V1"], parse_lead_map(["MLII=-II"]))
    assert m.by_name == {"MLII": "II", "V1": "V1"} and m.inverted == {0} and m.how[0] == "user"
    assert m.describe() == "MLII→II (user, inverted), V1→V1"
    with pytest.raises(LeadMapError, match="upside down"):
        map_leads(["ECG"], {"ECG": "-X"})
