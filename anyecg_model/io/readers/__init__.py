"""One reader module per file format; each exposes ``read(path, *, fs, lenient) -> Recording``.

:mod:`anyecg_model.io.registry` picks the module by content sniffing and extension.
"""
