"""Groups the bundled GloVe word vectors (models/embedder) into k-means clusters for the PII tagger.

    /usr/bin/python3 training/pii/word_clusters.py

Writes models/pii/word-clusters.txt: one line per word of the embedder's first 40,000 words (GloVe
frequency order), "word<TAB>cluster". The tagger reads the cluster as a feature, so a name it never
saw in training still lands in the cluster of names it did see, and "Comedy" lands with common nouns.
"""
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
EMBEDDER = ROOT / "models" / "embedder"
OUTPUT = ROOT / "models" / "pii" / "word-clusters.txt"
WORDS = 40_000
CLUSTERS = 256
ITERATIONS = 25

words = (EMBEDDER / "vocab.txt").read_text(encoding="utf-8").split("\n")[:WORDS]
vectors = np.fromfile(EMBEDDER / "vectors.i8", dtype=np.int8).reshape(-1, 100)[:WORDS].astype(np.float32)
vectors *= np.fromfile(EMBEDDER / "scales.f32", dtype=np.float32)[:WORDS, None]
vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9

rng = np.random.default_rng(13)
centres = vectors[rng.choice(len(vectors), CLUSTERS, replace=False)]
for _ in range(ITERATIONS):
    assignment = np.argmax(vectors @ centres.T, axis=1)
    for c in range(CLUSTERS):
        members = vectors[assignment == c]
        if len(members):
            centre = members.mean(axis=0)
            centres[c] = centre / (np.linalg.norm(centre) + 1e-9)
assignment = np.argmax(vectors @ centres.T, axis=1)
OUTPUT.write_text("".join(f"{w}\t{c}\n" for w, c in zip(words, assignment)), encoding="utf-8")
print(f"{len(words)} words in {CLUSTERS} clusters -> {OUTPUT}")
