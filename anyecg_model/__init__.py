"""AnyECG Workstation headless core: recordings, signal processing, the AnyECG model, analysis.

Never imports Qt.
"""
__version__ = "0.1.0"
