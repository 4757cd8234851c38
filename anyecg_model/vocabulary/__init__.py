"""The project's ground floor of meaning; it imports nothing of the project (numpy and the standard library only).

- :mod:`.leads`: lead names, their aliases and the model's lead slots (``STANDARD_LEADS``);
- :mod:`.lead_map`: canonical lead names and which file lead fills which slot (``map_leads``);
- :mod:`.labels`: the beat, record (rhythm), episode and anomaly vocabularies, their readable names, the
  MIT-BIH beat and rhythm codes they map from and to, and the sets a checkpoint stores (``label_vocabularies``);
- :mod:`.model_input`: the model-input contract (window length, beat fields and feature sizes,
  ``PreprocessConfig``).
- :mod:`.beat_inputs`: the beat features (RR, rhythm, morphology, template) and the padded beat fields of a
  window, built here for training and analysis alike;
- :mod:`.beat_context`: the fusion beat head's clinical beat features (RR against the recording's own rhythm,
  the beat against its dominant beat, QRS width and amplitude).

Every other package may import it; an import-linter contract in ``pyproject.toml`` and
``tests/test_layers.py`` keep it at the bottom.
"""
