"""Universal Sentence Encoder Lite vectors of training texts, cached on disk (training/.cache/use-lite/, git-ignored).

    from encoder_features import embed_cached
    X = embed_cached(texts)        # np.float32 [N, 512], L2-normalised, the vectors the runtime computes

Each distinct text is embedded once across every trainer and run: the cache is one .npy of vectors per
batch plus an index of SHA-1(text) -> row.
"""
import hashlib
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "encoder"))
from use_lite import UseLite  # noqa: E402

CACHE = HERE / ".cache" / "use-lite"
_encoder = None
_index = None


def _digest(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _load_index():
    global _index
    if _index is None:
        _index = {}
        CACHE.mkdir(parents=True, exist_ok=True)
        for part in sorted(CACHE.glob("part-*.txt")):
            vectors = np.load(part.with_suffix(".npy"))
            if len(vectors) != len(part.read_text().split()):
                continue
            for digest, vector in zip(part.read_text().split(), vectors):
                _index[digest] = vector
    return _index


def embed_cached(texts, batch_size=64, chunk=2048):
    global _encoder
    index = _load_index()
    missing = list(dict.fromkeys(d for d in map(_digest, texts) if d not in index))
    if missing:
        by_digest = {_digest(t): t for t in texts}
        if _encoder is None:
            _encoder = UseLite.from_package()
        for start in range(0, len(missing), chunk):
            digests = missing[start:start + chunk]
            vectors = _encoder.embed([by_digest[d] for d in digests], batch_size=batch_size).astype(np.float32)
            # Named by content, so trainers running at once never write the same part; the index
            # (.txt) is written last, so a part without one is ignored.
            part = CACHE / f"part-{hashlib.sha1(''.join(digests).encode()).hexdigest()[:16]}"
            np.save(part.with_suffix(".npy"), vectors)
            part.with_suffix(".txt").write_text("\n".join(digests))
            index.update(zip(digests, vectors))
            print(f"  embedded {min(start + chunk, len(missing))}/{len(missing)} new texts", flush=True)
    return np.stack([index[_digest(t)] for t in texts]) if texts else np.zeros((0, 512), np.float32)
