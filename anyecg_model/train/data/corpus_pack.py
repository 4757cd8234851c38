"""Pack the pre-training part of a corpus cache into a few compact files, to carry it to a training machine,
and unpack it there into a corpus that :mod:`anyecg_model.train.recipe.pretrain_corpus` reads.

Only what pre-training may see is packed: every record whose split is not ``test``, plus the electrode-noise
segments. Signals are the cache's int16 µV at 300 Hz; packing rounds them to ``quantum_uv`` (4 µV by default:
below MIT-BIH's 5-µV resolution and far below electrode noise), takes first differences along time, stores
high and low bytes apart and LZMA-compresses them. ::

    python -m anyecg_model.train.data.corpus_pack pack OUT_DIR [--corpus DIR] [--quantum-uv 4]
    python -m anyecg_model.train.data.corpus_pack unpack PACK_DIR CORPUS_DIR
"""
from __future__ import annotations

import argparse
import json
import logging
import lzma
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .corpus import DEFAULT_CORPUS_DIR, Corpus

log = logging.getLogger(__name__)

NOISE_SCALE = 1000.0  # noise.npz holds mV (float32); packed as int16 µV


def encode(signals: np.ndarray, quantum: int) -> bytes:
    """(n_leads, n) int16 → LZMA of the byte planes of the first differences of ``signals / quantum``."""
    q = np.round(signals.astype(np.int32) / quantum).astype(np.int16)
    d = np.diff(q, axis=1, prepend=np.zeros((q.shape[0], 1), np.int16))
    planes = d.view(np.uint8).reshape(-1, 2).T
    return lzma.compress(np.ascontiguousarray(planes).tobytes(), preset=6)


def decode(blob: bytes, shape: tuple[int, int], quantum: int) -> np.ndarray:
    """Inverse of :func:`encode`: (n_leads, n) int16 in the original units (rounded to ``quantum``)."""
    planes = np.frombuffer(lzma.decompress(blob), np.uint8).reshape(2, -1)
    d = np.ascontiguousarray(planes.T).view(np.int16).reshape(shape)
    return (np.cumsum(d, axis=1, dtype=np.int16).astype(np.int32) * quantum).astype(np.int16)


def _pack_set(corpus: Corpus, name: str, out: Path, quantum: int) -> list[dict]:
    recs = [r for r in corpus.records if r.set == name and r.split != "test"]
    src = np.load(corpus.root / name / "signals.npy", mmap_mode="r", allow_pickle=False)
    parts, entries, offset = [], [], 0
    for r in recs:
        parts.append(np.asarray(src[:, r.offset:r.offset + r.length]))
        entries.append({**r.__dict__, "offset": offset})
        offset += r.length
    arr = np.concatenate(parts, axis=1)
    (out / f"{name}.bin").write_bytes(encode(arr, quantum))
    log.info("packed %s: %d records, %.1f MB → %.1f MB", name, len(recs), arr.nbytes / 1e6,
             (out / f"{name}.bin").stat().st_size / 1e6)
    return [{"set": name, "shape": list(arr.shape)}] + entries


def pack(out: Path, corpus_dir: Path = DEFAULT_CORPUS_DIR, quantum_uv: int = 4) -> Path:
    """Write ``out/pack.json.xz`` and one ``.bin`` per set and for the noise; return ``out``."""
    corpus = Corpus(corpus_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = sorted({r.set for r in corpus.records})
    with ThreadPoolExecutor() as ex:  # lzma releases the GIL
        packed = list(ex.map(lambda n: _pack_set(corpus, n, out, quantum_uv), names))
    noise = corpus.noise()
    noise_meta = {}
    for key, arr in noise.items():
        (out / f"noise_{key}.bin").write_bytes(encode(np.round(arr * NOISE_SCALE).astype(np.int16), 1))
        noise_meta[key] = list(arr.shape)
    meta = {"fs": corpus.fs, "quantum_uv": quantum_uv, "noise": noise_meta,
            "sets": {p[0]["set"]: p[0]["shape"] for p in packed}, "records": [e for p in packed for e in p[1:]]}
    (out / "pack.json.xz").write_bytes(lzma.compress(json.dumps(meta).encode()))
    return out


def unpack(pack_dir: Path, corpus_dir: Path) -> Path:
    """Rebuild a corpus (``index.json``, ``SET/signals.npy``, ``noise.npz``) from a pack; return its folder."""
    meta = json.loads(lzma.decompress((pack_dir / "pack.json.xz").read_bytes()))
    q = int(meta["quantum_uv"])

    def one(item):
        name, shape = item
        (corpus_dir / name).mkdir(parents=True, exist_ok=True)
        np.save(corpus_dir / name / "signals.npy", decode((pack_dir / f"{name}.bin").read_bytes(), tuple(shape), q))

    corpus_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor() as ex:
        list(ex.map(one, meta["sets"].items()))
    noise = {k: decode((pack_dir / f"noise_{k}.bin").read_bytes(), tuple(s), 1).astype(np.float32) / NOISE_SCALE
             for k, s in meta["noise"].items()}
    np.savez(corpus_dir / "noise.npz", **noise)
    index = {"fs": meta["fs"], "units_per_mv": 1000.0, "records": meta["records"]}
    (corpus_dir / "index.json").write_text(json.dumps(index))
    return corpus_dir


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("pack")
    a.add_argument("out", type=Path)
    a.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    a.add_argument("--quantum-uv", type=int, default=4)
    b = sub.add_parser("unpack")
    b.add_argument("pack_dir", type=Path)
    b.add_argument("corpus_dir", type=Path)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.cmd == "pack":
        pack(args.out, args.corpus, args.quantum_uv)
    else:
        unpack(args.pack_dir, args.corpus_dir)


if __name__ == "__main__":
    main()
