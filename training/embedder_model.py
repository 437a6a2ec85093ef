"""Loads a built models/embedder folder into build_embedder.SentenceModel (for downstream training)."""
import json
from pathlib import Path

import numpy as np

from build_embedder import SentenceModel


def load_sentence_model(folder):
    folder = Path(folder)
    cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    files = cfg["files"]
    words = (folder / files["vocab"]).read_text(encoding="utf-8").split("\n")[: cfg["vocab_size"]]
    dims = cfg["word_dimensions"]
    q = np.fromfile(folder / files["vectors"], dtype=np.int8).reshape(-1, dims)
    scales = np.fromfile(folder / files["scales"], dtype="<f4")
    weights = np.fromfile(folder / files["weights"], dtype="<f4")
    lexical = np.fromfile(folder / files["lexical_weights"], dtype="<f4")
    vectors = q.astype(np.float32) * scales[:, None]
    common = np.asarray(cfg["common_component"], dtype=np.float64)
    return SentenceModel(words, vectors, weights, lexical, common, cfg["alpha"], cfg["lexical_dimensions"])
