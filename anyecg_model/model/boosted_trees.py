"""Gradient-boosted trees as plain arrays: exported from scikit-learn, stored in safetensors, predicted in numpy.

A fitted ``HistGradientBoostingClassifier`` is a baseline score plus, per boosting iteration, one regression
tree per class whose leaf values already include the learning rate. :func:`export_hist_gbm` flattens every
tree into node arrays (feature, threshold, left/right child, missing-value direction, leaf flag, leaf value)
concatenated over trees; :class:`BoostedTrees` walks all trees for a block of beats at once, one tree level
per step, dropping (beat, tree) pairs that reached a leaf as it goes, so 24 h of beats (about 100 000) take a few
numpy passes per level, not a Python loop per beat or tree.
Storage is safetensors (numbers) + JSON (shape, classes); nothing is ever unpickled.

A node sends a sample left when its feature value is ≤ the threshold, or when the value is missing (NaN)
and the node's missing direction is left — scikit-learn's rule. Categorical splits are not supported.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Array names of :meth:`BoostedTrees.arrays`, in storage order.
ARRAYS = ("feature", "threshold", "left", "right", "missing_left", "is_leaf", "value", "roots", "tree_class",
          "baseline")
#: ``format`` of the JSON written by :func:`save_trees`.
FORMAT = "anyecg-boosted-trees"
#: Beats walked together (bounds the (beats × trees) working arrays to a few MB).
BLOCK = 512
#: Pairs already at a leaf are dropped from the walk at this level and every COMPACT_EVERY levels after.
COMPACT_FROM, COMPACT_EVERY = 5, 2


class TreeExportError(ValueError):
    """The model cannot be exported, or stored arrays are inconsistent."""


@dataclass
class BoostedTrees:
    """Flattened trees. ``feature``/``threshold``/``left``/``right``/``missing_left``/``is_leaf``/``value``:
    one entry per node of all trees (children are global node indices; a leaf points to itself);
    ``roots`` (T,): each tree's root node; ``tree_class`` (T,): the class whose raw score it adds to;
    ``baseline`` (K,): the initial raw scores; ``depth``: the deepest leaf (levels to walk)."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    is_leaf: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    tree_class: np.ndarray
    baseline: np.ndarray
    depth: int
    #: Node ``i``'s children at ``2i`` (right) and ``2i + 1`` (left): one gather per level instead of two and a where.
    children: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.feature)
        if any(len(getattr(self, k)) != n for k in ARRAYS[:7]):
            raise TreeExportError("node arrays differ in length")
        for k in ("left", "right", "roots"):
            a = getattr(self, k)
            if len(a) and (a.min() < 0 or a.max() >= n):
                raise TreeExportError(f"{k}: node index out of range")
        if len(self.tree_class) != len(self.roots) or (
                len(self.tree_class) and (self.tree_class.min() < 0 or self.tree_class.max() >= len(self.baseline))):
            raise TreeExportError("tree_class does not match the trees and classes")
        if self.depth < 0:
            raise TreeExportError("negative depth")
        self.children = np.empty(2 * n, np.intp)
        self.children[0::2], self.children[1::2] = self.right, self.left
        inner = ~np.asarray(self.is_leaf, bool)
        self._n_features = int(np.asarray(self.feature)[inner].max()) + 1 if inner.any() else 0

    @property
    def n_classes(self) -> int:
        return len(self.baseline)

    @property
    def n_features(self) -> int:
        return self._n_features

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to store (fixed dtypes)."""
        return {"feature": self.feature.astype(np.int32), "threshold": self.threshold.astype(np.float64),
                "left": self.left.astype(np.int32), "right": self.right.astype(np.int32),
                "missing_left": self.missing_left.astype(np.uint8), "is_leaf": self.is_leaf.astype(np.uint8),
                "value": self.value.astype(np.float64), "roots": self.roots.astype(np.int32),
                "tree_class": self.tree_class.astype(np.int32), "baseline": self.baseline.astype(np.float64)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], depth: int) -> "BoostedTrees":
        missing = [k for k in ARRAYS if k not in arrays]
        if missing:
            raise TreeExportError(f"missing arrays: {', '.join(missing)}")
        a = {k: np.asarray(arrays[k]) for k in ARRAYS}
        return cls(a["feature"].astype(np.intp), a["threshold"].astype(np.float64), a["left"].astype(np.intp),
                   a["right"].astype(np.intp), a["missing_left"].astype(bool), a["is_leaf"].astype(bool),
                   a["value"].astype(np.float64), a["roots"].astype(np.intp), a["tree_class"].astype(np.intp),
                   a["baseline"].astype(np.float64), int(depth))

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Raw scores (N, K) of the samples ``x`` (N, features): baseline + every tree's leaf value."""
        x = np.asarray(x, np.float64)
        if x.ndim != 2 or (len(self.roots) and x.shape[1] < self.n_features):
            raise TreeExportError(f"expected (N, ≥{self.n_features}) features, got {x.shape}")
        out = np.empty((len(x), self.n_classes))
        for b in range(0, len(x), BLOCK):
            out[b:b + BLOCK] = self._raw_block(x[b:b + BLOCK])
        return out

    def _raw_block(self, x: np.ndarray) -> np.ndarray:
        n, T, F = len(x), len(self.roots), x.shape[1]
        flat = x.ravel()
        node = np.tile(self.roots, n)  # (sample, tree) pairs, sample-major
        act, nd, base = np.arange(n * T), node, np.repeat(np.arange(n) * F, T)
        nan = bool(np.isnan(flat).any())
        for level in range(self.depth):
            if level >= COMPACT_FROM and (level - COMPACT_FROM) % COMPACT_EVERY == 0:
                node[act] = nd  # most pairs sit at a leaf by now: walk on with the others only
                keep = ~self.is_leaf[nd]
                act, nd, base = act[keep], nd[keep], base[keep]
            v = flat[base + self.feature[nd]]
            go_left = v <= self.threshold[nd]
            if nan:
                go_left |= np.isnan(v) & self.missing_left[nd]
            nd = self.children[2 * nd + go_left]
        node[act] = nd
        leaf = self.value[node].reshape(n, T)
        out = np.tile(self.baseline, (n, 1))
        for k in range(self.n_classes):  # sum the trees of each class
            out[:, k] += leaf[:, self.tree_class == k].sum(1)
        return out

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (N, K): the softmax of :meth:`raw` (the logistic for one raw score)."""
        z = self.raw(x)
        if z.shape[1] == 1:
            p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.stack([1 - p1, p1], 1)
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(1, keepdims=True)


def export_hist_gbm(clf) -> BoostedTrees:
    """The trees of a fitted ``sklearn.ensemble.HistGradientBoostingClassifier`` as :class:`BoostedTrees`."""
    predictors = getattr(clf, "_predictors", None)
    if predictors is None:
        raise TreeExportError("not a fitted HistGradientBoostingClassifier")
    if getattr(clf, "is_categorical_", None) is not None and np.any(clf.is_categorical_):
        raise TreeExportError("categorical features are not supported")
    parts, roots, classes, offset, depth = [], [], [], 0, 0
    for per_iter in predictors:
        for k, pred in enumerate(per_iter):
            nd = pred.nodes
            leaf = nd["is_leaf"].astype(bool)
            idx = np.arange(len(nd)) + offset
            parts.append({"feature": np.where(leaf, 0, nd["feature_idx"]),
                          "threshold": np.where(leaf, np.inf, nd["num_threshold"]),
                          "left": np.where(leaf, idx, nd["left"].astype(np.intp) + offset),
                          "right": np.where(leaf, idx, nd["right"].astype(np.intp) + offset),
                          "missing_left": nd["missing_go_to_left"].astype(bool), "is_leaf": leaf,
                          "value": np.where(leaf, nd["value"], 0.0)})
            roots.append(offset)
            classes.append(k)
            depth = max(depth, int(nd["depth"][leaf].max()))
            offset += len(nd)
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {
        k: np.zeros(0) for k in ARRAYS[:7]}
    return BoostedTrees(**{k: np.asarray(v) for k, v in cat.items()}, roots=np.asarray(roots, np.intp),
                        tree_class=np.asarray(classes, np.intp),
                        baseline=np.asarray(clf._baseline_prediction, np.float64).ravel(), depth=depth)


def save_trees(trees: BoostedTrees, weights: str | Path, config: str | Path, extra: dict | None = None) -> None:
    """Write the arrays to ``weights`` (safetensors) and shape, SHA-256 and ``extra`` to ``config`` (JSON)."""
    from safetensors.numpy import save_file

    weights, config = Path(weights), Path(config)
    save_file(trees.arrays(), str(weights))
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    config.write_text(json.dumps({"format": FORMAT, "version": 1, "depth": trees.depth, "weights_sha256": sha,
                                  **(extra or {})}, indent=1))


def load_trees(weights: str | Path, config: str | Path) -> tuple[BoostedTrees, dict]:
    """The trees stored by :func:`save_trees` and their JSON. Read with safetensors only (never unpickled);
    a wrong format, a SHA-256 mismatch or inconsistent arrays raise :class:`TreeExportError`."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    weights, config = Path(weights), Path(config)
    try:
        meta = json.loads(config.read_text())
        data = weights.read_bytes()
    except (OSError, json.JSONDecodeError) as exc:
        raise TreeExportError(f"{config}: unreadable ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise TreeExportError(f"{config}: not a boosted-trees config")
    if hashlib.sha256(data).hexdigest() != meta.get("weights_sha256"):
        raise TreeExportError(f"{weights}: SHA-256 does not match {config.name}")
    try:
        arrays = load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise TreeExportError(f"{weights}: not a safetensors file ({exc})") from exc
    return BoostedTrees.from_arrays(arrays, int(meta.get("depth", -1))), meta


def provenance(meta: dict, default_name: str) -> str:
    """``<name> <version> (sha256 <first 8 hex>)`` of a stored classifier's JSON, e.g.
    ``gradient-boosted beat trees 1.0 (sha256 1a2b3c4d)``: what findings name as the classifier."""
    return f"{meta.get('name', default_name)} {meta.get('model_version', '?')} " \
           f"(sha256 {str(meta.get('weights_sha256', ''))[:8]})"


def stored_provenance(directory: str | Path, config: str, default_name: str, absent: str) -> str:
    """:func:`provenance` of the classifier whose JSON ``config`` lies in ``directory``, from the JSON alone (no
    weights read), or ``absent`` when it has none or the JSON is unreadable (its loader then refuses the folder)."""
    try:
        meta = json.loads((Path(directory) / config).read_text())
    except (OSError, ValueError):
        return absent
    return provenance(meta, default_name) if isinstance(meta, dict) else absent


def load_stored_trees(directory: str | Path, weights: str, config: str, error: type[Exception],
                      what: str) -> tuple[BoostedTrees, dict] | None:
    """The trees and JSON a classifier stored in ``directory`` as ``weights`` + ``config``, or None when it has no
    ``config``; a missing weights file or any :class:`TreeExportError` raises ``error`` ("``what`` refused: …")."""
    d = Path(directory)
    if not (d / config).exists():
        return None
    if not (d / weights).exists():
        raise error(f"{d / weights}: missing")
    try:
        return load_trees(d / weights, d / config)
    except TreeExportError as exc:
        raise error(f"{what} refused: {exc}") from exc
