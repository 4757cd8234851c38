"""The project's ground floor of meaning; it imports nothing of the project (numpy and the standard library only).

- :mod:`.leads`: lead names, their aliases and the model's lead slots (``STANDARD_LEADS``);
- :mod:`.labels`: the beat, record (rhythm), episode and anomaly vocabularies, their readable names and the
  MIT-BIH rhythm-code mapping;
- :mod:`.model_input`: the model-input contract (window length, beat fields and feature sizes).

Every other package may import it; an import-linter contract in ``pyproject.toml`` keeps it at the bottom.
"""
