"""Pieces shared by the kNN votes of the domain and jailbreak classifiers: the semantic part of the
embedder vector as a unit vector, and the int8 row quantisation of the neighbour memory."""

import numpy as np

# The first 100 dimensions of the embedder's 612-d vector are its word-vector (semantic) part.
SEMANTIC_DIMS = 100


def semantic_unit(embedding):
    semantic = embedding[:, :SEMANTIC_DIMS]
    return semantic / semantic.norm(dim=1, keepdim=True).clamp_min(1e-6)


def quantize_rows(matrix):
    """Symmetric int8 per row: matrix ≈ q * scale[:, None]."""
    scale = np.abs(matrix).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(matrix / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)
