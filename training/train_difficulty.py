"""Trains models/difficulty: P(hard), the probability that a prompt needs the strong model, from a
fastText-style bag of hashed word 1-2-grams plus the bundled embedder's sentence vector (data and
labels in difficulty_data.py; network in domain_model.DomainModel with 2 classes, the 14 data sources
as its auxiliary target; exported graph in difficulty_model.py).

Inputs (computed in TS by src/classifiers/feature-classifier.ts, same rules as text_features.py):
  ngram_ids     int64 [1, n]  FNV-1a(key) % buckets for every unigram "u:w" and bigram "b:w1 w2"
  ngram_weights float [1, n]  1 / sqrt(n)
  embedding     float [1, d]  the bundled embedder's sentence vector (models/embedder)
Output: logits [1, 2] (easy, hard); softmax gives P(hard).
"""
import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

import difficulty_data
from difficulty_model import ExportedDifficultyModel
from domain_model import DomainModel, pack_bags, train_with_linear_decay
from embedder_model import load_sentence_model
from text_features import fnv1a, ngram_keys, tokenize

BUCKETS = 1 << 15
HIDDEN = 16
EPOCHS = 6
BATCH = 64
LEARNING_RATE = 3e-3
DROPOUT = 0.3
SOURCE_LOSS_WEIGHT = 0.3
SEED = 13
PARITY_TEXTS = [
    "hello, how are you today?",
    "How do I reverse a list in Python?",
    "Let $x,$ $y,$ $z$ be positive reals with $x + y + z = 1.$ Find the minimum of $\\frac{1}{x} + \\frac{4}{y} + \\frac{9}{z}.$",
    "",
]


class Features:
    """Hashed n-gram bags and embedder vectors of a list of texts."""

    def __init__(self, texts, sentence_model):
        self.ids, self.weights = [], []
        for text in texts:
            keys = ngram_keys(tokenize(text)) or ["u:"]
            self.ids.append(np.array([fnv1a(k) % BUCKETS for k in keys], dtype=np.int64))
            self.weights.append(np.full(len(keys), 1.0 / np.sqrt(len(keys)), dtype=np.float32))
        self.embeddings = torch.from_numpy(np.asarray([sentence_model.embed(t) for t in texts], dtype=np.float32))

    def packed(self, index):
        return pack_bags(self.ids, self.weights, self.embeddings, index)

    def padded(self, i):
        return torch.from_numpy(self.ids[i])[None], torch.from_numpy(self.weights[i])[None], self.embeddings[i : i + 1]


def example_weights(examples):
    """Each source weighs in proportion to the square root of its size, so a small source (MATH-500)
    is not drowned by a big one (GSM8K); then both classes weigh the same."""
    sizes = Counter(e.source for e in examples)
    weights = np.array([1 / np.sqrt(sizes[e.source]) for e in examples])
    labels = np.array([e.label for e in examples])
    for label in (0, 1):
        weights[labels == label] /= weights[labels == label].sum()
    return torch.from_numpy(weights * len(examples) / 2).float()


def fit(features, examples, sources):
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    y = torch.tensor([e.label for e in examples])
    y_source = torch.tensor([sources.index(e.source) for e in examples])
    model = DomainModel(BUCKETS, HIDDEN, features.embeddings.shape[1], 2, len(sources), DROPOUT)
    weights = example_weights(examples)
    class_loss = nn.CrossEntropyLoss(reduction="none")
    source_loss = nn.CrossEntropyLoss()

    def batch_loss(outputs, index):
        logits, source_logits = outputs
        return (class_loss(logits, y[index]) * weights[index]).mean() + SOURCE_LOSS_WEIGHT * source_loss(source_logits, y_source[index])

    return train_with_linear_decay(model, features.packed, len(examples), batch_loss, EPOCHS, BATCH, LEARNING_RATE, rng)


def hard_probabilities(exported, features, count):
    with torch.no_grad():
        return np.array([float(torch.softmax(exported(*features.padded(i)), dim=1)[0, 1]) for i in range(count)])


def metrics(p_hard, examples):
    y = np.array([e.label for e in examples])
    by_source = defaultdict(list)
    for p, e in zip(p_hard, examples):
        by_source[e.source].append((p >= 0.5) == (e.label == 1))
    return {
        "held_out_rows": len(examples),
        "accuracy_at_0.5": round(float(((p_hard >= 0.5) == (y == 1)).mean()), 4),
        "auc": round(float(roc_auc_score(y, p_hard)), 4),
        "per_source_accuracy_at_0.5": {s: {"rows": len(v), "accuracy": round(float(np.mean(v)), 3)}
                                       for s, v in sorted(by_source.items())},
    }


def main():
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedder", default=str(root / "models" / "embedder"))
    ap.add_argument("--eval", default=str(root / "eval" / "routing.jsonl"), help="prompts never to train on")
    ap.add_argument("--out", default=str(root / "models" / "difficulty"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    sentence_model = load_sentence_model(args.embedder)
    split, stats = difficulty_data.load(args.eval)
    sources = sorted({e.source for e in split["train"]})
    train_features = Features([e.text for e in split["train"]], sentence_model)
    held_features = Features([e.text for e in split["held_out"]], sentence_model)

    model = fit(train_features, split["train"], sources)
    exported = ExportedDifficultyModel(model).eval()
    held = metrics(hard_probabilities(exported, held_features, len(split["held_out"])), split["held_out"])
    held["train_rows"] = len(split["train"])
    print(json.dumps(held, indent=1), flush=True)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        exported, held_features.padded(0), str(out / "model.onnx"),
        input_names=["ngram_ids", "ngram_weights", "embedding"], output_names=["logits"],
        dynamic_axes={"ngram_ids": {0: "batch", 1: "ngrams"}, "ngram_weights": {0: "batch", 1: "ngrams"},
                      "embedding": {0: "batch"}, "logits": {0: "batch"}},
        # Folding would store a widened float32 copy of the float16 bag in the file.
        opset_version=13, do_constant_folding=False,
    )
    parity_features = Features(PARITY_TEXTS, sentence_model)
    parity = hard_probabilities(exported, parity_features, len(PARITY_TEXTS))
    config = {
        "model_type": "switchyard-difficulty-classifier",
        "id2label": {str(i): label for i, label in enumerate(difficulty_data.LABELS)},
        "label2id": {label: i for i, label in enumerate(difficulty_data.LABELS)},
        "switchyard_features": {
            "ngrams": {"buckets": BUCKETS, "keys": "unigram u:w, bigram b:w1 w2", "hash": "fnv1a32", "weight": "1/sqrt(n)"},
            "embedding": "embedder",
        },
        "data": stats,
        "held_out_metrics": held,
        "parity_check": [{"text": t, "p_hard": round(float(p), 6)} for t, p in zip(PARITY_TEXTS, parity)],
        "trained_at": time.strftime("%Y-%m-%d"),
    }
    (out / "config.json").write_text(json.dumps(config, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
