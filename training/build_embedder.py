"""Builds models/embedder: a compacted subset of the wink/GloVe 100-d word vectors, SIF weights,
the corpus common component, and the settings of the hashed lexical channel.

Sentence vector (mirrored by src/classifiers/word-vector-embedder.ts):
  semantic = sum_w sif(w) * v(w), minus its projection on the common component, L2-normalised
  lexical  = signed feature hashing of every token weighted by sif(w) (unknown words weigh 1), L2-normalised
  vector   = [sqrt(alpha) * semantic, sqrt(1 - alpha) * lexical], L2-normalised
so cosine = alpha * cos(semantic) + (1 - alpha) * cos(lexical) when both channels are present: the
semantic channel finds paraphrases, the lexical one pushes apart prompts that differ in a name or a number.
"""
import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

import corpora
from text_features import fnv1a, tokenize

SIF_A = 1e-3
# The lexical channel uses a smaller a, so only rarer words (names, terms) carry weight there.
LEXICAL_SIF_A = 1e-4
# Tokens with a digit weigh this much more in the lexical channel: "35 °F" and "100 °F" are different questions.
DIGIT_BOOST = 2.0
TOP_WORDS = 50000
LEXICAL_DIMENSIONS = 512
ALPHA = 0.5
# Zipf's law estimate of a word's probability from its frequency rank (GloVe's list is rank-ordered).
ZIPF_C = 0.06


def sif_weight(rank, a):
    p = ZIPF_C / (rank + 1.0)
    return a / (a + p)


class SentenceModel:
    """Reference implementation of the sentence vector, used for the common component and evaluation."""

    def __init__(self, words, vectors, weights, lexical_weights, common, alpha, lexical_dims):
        self.index = {w: i for i, w in enumerate(words)}
        self.vectors, self.weights, self.lexical_weights, self.common = vectors, weights, lexical_weights, common
        self.alpha, self.lexical_dims = alpha, lexical_dims

    def semantic_raw(self, tokens):
        out = np.zeros(self.vectors.shape[1], dtype=np.float64)
        for t in tokens:
            i = self.index.get(t)
            if i is not None:
                out += self.weights[i] * self.vectors[i]
        return out

    def embed(self, text):
        tokens = tokenize(text)
        sem = self.semantic_raw(tokens)
        if self.common is not None:
            sem -= sem.dot(self.common) * self.common
        lex = np.zeros(self.lexical_dims, dtype=np.float64)
        for t in tokens:
            i = self.index.get(t)
            w = self.lexical_weights[i] if i is not None else 1.0
            if any(c.isdigit() for c in t):
                w = max(w, 1.0) * DIGIT_BOOST
            h = fnv1a("w:" + t)
            lex[h % self.lexical_dims] += -w if h & 0x80000000 else w
        parts = []
        for part, share in ((sem, self.alpha), (lex, 1.0 - self.alpha)):
            n = np.linalg.norm(part)
            parts.append(part / n * np.sqrt(share) if n > 0 else part)
        v = np.concatenate(parts)
        n = np.linalg.norm(v)
        return v / n if n > 0 else v


def quantize(matrix):
    scales = np.abs(matrix).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    q = np.clip(np.rint(matrix / scales[:, None]), -127, 127).astype(np.int8)
    return q, scales.astype(np.float32)


def roc_auc(pos, neg):
    pos, neg = np.asarray(pos), np.asarray(neg)
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return greater / (len(pos) * len(neg))


def evaluate(model, pairs_path):
    rows = [json.loads(l) for l in open(pairs_path, encoding="utf-8") if l.strip()]
    sims = {"paraphrase": [], "near_miss": [], "unrelated": []}
    for r in rows:
        sims[r["label"]].append(float(model.embed(r["a"]).dot(model.embed(r["b"]))))
    pos = sims["paraphrase"]
    neg = sims["near_miss"] + sims["unrelated"]
    best = max(
        ((np.mean([p >= t for p in pos] + [n < t for n in neg]), t) for t in np.arange(0.3, 1.0, 0.005)),
        key=lambda x: x[0],
    )
    return {
        "pairs": len(rows),
        "mean_similarity": {k: round(float(np.mean(v)), 4) for k, v in sims.items()},
        "roc_auc_paraphrase_vs_rest": round(float(roc_auc(pos, neg)), 4),
        "roc_auc_paraphrase_vs_near_miss": round(float(roc_auc(pos, sims["near_miss"])), 4),
        "best_threshold": round(float(best[1]), 3),
        "best_threshold_accuracy": round(float(best[0]), 4),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=str(Path(__file__).parent / ".cache"))
    ap.add_argument("--out", default=str(Path(__file__).parents[1] / "models" / "embedder"))
    ap.add_argument("--pairs", default=str(Path(__file__).parent / "data" / "embedder-pairs.jsonl"))
    args = ap.parse_args()
    cache, out = Path(args.cache), Path(args.out)
    all_vectors = np.load(cache / "wink-vectors.npy")
    all_words = (cache / "wink-words.txt").read_text(encoding="utf-8").split("\n")[: len(all_vectors)]
    rank = {w: i for i, w in enumerate(all_words)}

    texts = corpora.prompt_texts()
    pair_texts = [t for l in open(args.pairs, encoding="utf-8") if l.strip() for t in json.loads(l).values()]
    counts = Counter(t for text in texts + pair_texts for t in tokenize(text))
    # Only words our tokenizer can produce: letters/digits runs, lower case.
    keep = sorted(
        {i for i, w in enumerate(all_words[:TOP_WORDS]) if tokenize(w) == [w]}
        | {rank[w] for w in counts if w in rank}
    )
    words = [all_words[i] for i in keep]
    vectors = all_vectors[keep]
    weights = np.array([sif_weight(i, SIF_A) for i in keep], dtype=np.float32)
    lexical_weights = np.array([sif_weight(i, LEXICAL_SIF_A) for i in keep], dtype=np.float32)
    q, scales = quantize(vectors)
    dequantized = q.astype(np.float32) * scales[:, None]

    base = SentenceModel(words, dequantized, weights, lexical_weights, None, ALPHA, LEXICAL_DIMENSIONS)
    sample = np.stack([base.semantic_raw(tokenize(t)) for t in texts[::2]])
    sample = sample[np.linalg.norm(sample, axis=1) > 0]
    # SIF's common component: the first right singular vector of the (uncentred) sentence matrix.
    common = np.linalg.svd(sample, full_matrices=False)[2][0]
    model = SentenceModel(words, dequantized, weights, lexical_weights, common, ALPHA, LEXICAL_DIMENSIONS)

    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    (out / "vectors.i8").write_bytes(q.tobytes())
    (out / "scales.f32").write_bytes(scales.astype("<f4").tobytes())
    (out / "weights.f32").write_bytes(weights.astype("<f4").tobytes())
    (out / "lexical-weights.f32").write_bytes(lexical_weights.astype("<f4").tobytes())
    metrics = evaluate(model, args.pairs)
    config = {
        "model_type": "switchyard-word-vector-embedder",
        "version": 1,
        "vocab_size": len(words),
        "word_dimensions": int(vectors.shape[1]),
        "lexical_dimensions": LEXICAL_DIMENSIONS,
        "dimensions": int(vectors.shape[1]) + LEXICAL_DIMENSIONS,
        "alpha": ALPHA,
        "unknown_word_weight": 1.0,
        "digit_boost": DIGIT_BOOST,
        "lexical_feature_prefix": "w:",
        "sif_a": SIF_A,
        "common_component": [round(float(x), 7) for x in common],
        "files": {"vocab": "vocab.txt", "vectors": "vectors.i8", "scales": "scales.f32", "weights": "weights.f32", "lexical_weights": "lexical-weights.f32"},
        "dev_metrics": metrics,
    }
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(metrics, indent=1))
    print(f"vocabulary {len(words)} words")


if __name__ == "__main__":
    main()
