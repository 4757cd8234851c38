"""The model-input contract: what a window and its beats look like, for training and analysis alike.

Training (:mod:`anyecg_model.train.tasks_data`) builds these inputs from a corpus, the analysis
(:mod:`anyecg_model.analysis.analyzer`) from a recording; both read the sizes from here, and the heads
(:mod:`anyecg_model.model.heads`) are sized from them, so the three cannot drift apart.

Per window (``WINDOW_S`` s of patches at the model rate, 300 Hz unless the checkpoint says otherwise) the
beat heads take up to ``MAX_BEATS`` beats, each with:

- ``beat_patch`` (int64): index of the patch holding the R peak;
- ``beat_rr`` (float32, ``N_RR_FEATURES``): RR features (:func:`anyecg_model.analysis.features.rr_features`);
- ``beat_template`` (float32, ``N_TEMPLATE_FEATURES``): the beat against the window's dominant beat
  (:func:`anyecg_model.analysis.features.template_features`);
- ``beat_morph`` (float32, slots × (``MORPH_BEFORE`` + ``MORPH_AFTER``) samples): the beat-centred waveform;
- ``beat_mask`` (bool): a real beat, not padding; ``beat_label`` (int64, −1 unknown): its class in training.

This module imports nothing of the project (:mod:`anyecg_model.vocabulary`).
"""
from __future__ import annotations

#: Length of one model window (s): the unit of the record-level, anomaly and beat heads.
WINDOW_S = 10.0
#: Most beats one window can hold (a 240 bpm run over 10 s).
MAX_BEATS = 40
#: RR-interval features per beat.
N_RR_FEATURES = 6
#: Beat-versus-dominant-beat features per beat.
N_TEMPLATE_FEATURES = 3
#: Beat-centred morphology window at 300 Hz, in samples: 0.25 s before to 0.45 s after the R peak.
MORPH_BEFORE = 75
MORPH_AFTER = 135
