"""Trains models/domain: a fastText-style classifier over the 14 MMLU-Pro categories blended with a kNN
vote over training questions and a sparse TF-IDF linear model, exported to ONNX (see domain_model.py).

Inputs (computed in TS by src/classifiers/feature-classifier.ts, same rules as text_features.py):
  ngram_ids     int64 [1, n]  FNV-1a(key) % buckets for every unigram "u:w" and bigram "b:w1 w2"
  ngram_weights float [1, n]  1 / sqrt(n), so the bag is length-normalised
  embedding     float [1, d]  the bundled embedder's sentence vector (models/embedder)
  sparse_ids    int64 [1, m]  distinct TF-IDF bucket ids (domain_sparse_features.py)
  sparse_counts float [1, m]  how often each bucket occurs in the text
Output: logits [1, 14] (labels in config.json id2label); their softmax is the blended probability.

Two runs: the first trains on train minus validation and picks the blend weights on validation;
the second trains on everything but the held-out split and is exported and scored on held-out.
"""
import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import SGDClassifier
from torch import nn

import domain_data
import domain_sparse_features as sparse_features
from domain_model import DomainModel, ExportedDomainModel, SparseLinear, knn_votes, pack_bags, semantic_unit, train_with_linear_decay
from embedder_model import load_sentence_model
from text_features import fnv1a, ngram_keys, tokenize

BUCKETS = 1 << 15
HIDDEN = 64
EPOCHS = 3
BATCH = 64
LEARNING_RATE = 3e-3
DROPOUT = 0.3
SOURCE_LOSS_WEIGHT = 0.5
KNN_K = 10
KNN_TEMPERATURE = 10.0
SPARSE_WORD_BUCKETS = 1 << 17
SPARSE_CHAR_BUCKETS = 1 << 17
SPARSE_MIN_DF = 3
# modified_huber (a smoothed hinge) with this L2 strength was the best of 2e-6..8e-5 and log loss on validation.
SPARSE_ALPHA = 4e-5
SPARSE_EPOCHS = 20
SPARSE_TEMPERATURES = (2.0, 4.0, 8.0)
BLEND_STEPS = 10
SEED = 13


class Features:
    """Hashed n-gram bags and embedder vectors of a list of examples."""

    def __init__(self, examples, sentence_model):
        self.ids, self.weights = [], []
        for e in examples:
            keys = ngram_keys(tokenize(e.text)) or ["u:"]
            self.ids.append(np.array([fnv1a(k) % BUCKETS for k in keys], dtype=np.int64))
            self.weights.append(np.full(len(keys), 1.0 / np.sqrt(len(keys)), dtype=np.float32))
        self.embeddings = torch.from_numpy(np.asarray([sentence_model.embed(e.text) for e in examples], dtype=np.float32))
        self.sparse = [sparse_features.bucket_counts(e.text, SPARSE_WORD_BUCKETS, SPARSE_CHAR_BUCKETS) for e in examples]

    def sparse_counts(self):
        """Raw bucket counts as a CSR matrix [examples, buckets]."""
        return sparse_features.count_matrix(self.sparse, SPARSE_WORD_BUCKETS + SPARSE_CHAR_BUCKETS)

    def packed(self, index):
        return pack_bags(self.ids, self.weights, self.embeddings, index)

    def padded(self, i):
        ids, counts = self.sparse[i]
        return (torch.from_numpy(self.ids[i])[None], torch.from_numpy(self.weights[i])[None], self.embeddings[i : i + 1],
                torch.from_numpy(ids)[None], torch.from_numpy(counts)[None])


def fit(features, examples, labels, sources, seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    y = torch.tensor([labels.index(e.category) for e in examples])
    y_source = torch.tensor([sources.index(e.source) for e in examples])
    model = DomainModel(BUCKETS, HIDDEN, features.embeddings.shape[1], len(labels), len(sources), DROPOUT)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)

    def batch_loss(outputs, index):
        category_logits, source_logits = outputs
        return loss_fn(category_logits, y[index]) + SOURCE_LOSS_WEIGHT * loss_fn(source_logits, y_source[index])

    return train_with_linear_decay(model, features.packed, len(examples), batch_loss, EPOCHS, BATCH, LEARNING_RATE, rng)


def fit_sparse(features, examples, labels):
    """TF-IDF (idf from these examples) + linear SGD classifier, as the exported SparseLinear module."""
    counts = features.sparse_counts()
    idf = sparse_features.fit_idf(counts, SPARSE_MIN_DF)
    y = np.array([labels.index(e.category) for e in examples])
    classifier = SGDClassifier(loss="modified_huber", alpha=SPARSE_ALPHA, max_iter=SPARSE_EPOCHS, tol=None, random_state=SEED)
    classifier.fit(sparse_features.tfidf(counts, idf, SPARSE_WORD_BUCKETS), y)
    return SparseLinear(idf, classifier.coef_.astype(np.float32), classifier.intercept_, SPARSE_WORD_BUCKETS).eval()


def knn_memory(features, examples, labels):
    """Unit semantic vectors and labels of the distinct question-only examples."""
    seen, index = set(), []
    for i, e in enumerate(examples):
        key = " ".join(tokenize(e.text))
        if e.question_only and key not in seen:
            seen.add(key)
            index.append(i)
    memory = semantic_unit(features.embeddings[index]).numpy()
    return memory, np.array([labels.index(examples[i].category) for i in index])


def predict(exported, features, count):
    with torch.no_grad():
        return np.array([int(exported(*features.padded(i)).argmax()) for i in range(count)])


def part_probabilities(model, memory, memory_labels, sparse, features, count):
    """Per-example probabilities of the linear head and the kNN vote, and the sparse model's scores."""
    linear, votes, scores = [], [], []
    memory_t, memory_labels_t = torch.from_numpy(memory), torch.from_numpy(memory_labels.astype(np.int64))
    with torch.no_grad():
        for start in range(0, count, 256):
            index = list(range(start, min(count, start + 256)))
            linear.append(torch.softmax(model(*features.packed(index))[0], dim=1))
            query = semantic_unit(features.embeddings[index])
            votes.append(knn_votes(query, memory_t, memory_labels_t, len(model.out.bias), KNN_K, KNN_TEMPERATURE))
            for i in index:
                scores.append(sparse(*features.padded(i)[3:]))
    return torch.cat(linear).numpy(), torch.cat(votes).numpy(), torch.cat(scores).numpy()


def blend_grid():
    """Every (linear, kNN, sparse) weight triple on a 1/BLEND_STEPS grid that sums to 1."""
    for a in range(BLEND_STEPS + 1):
        for b in range(BLEND_STEPS + 1 - a):
            yield a / BLEND_STEPS, b / BLEND_STEPS, (BLEND_STEPS - a - b) / BLEND_STEPS


def choose_blend(parts, y):
    """Validation top-1 of every blend and sparse temperature; returns (best (temperature, blend), table)."""
    linear, votes, scores = parts
    table = {}
    for temperature in SPARSE_TEMPERATURES:
        sparse = torch.softmax(torch.from_numpy(scores) * temperature, dim=1).numpy()
        for blend in blend_grid():
            mixed = blend[0] * linear + blend[1] * votes + blend[2] * sparse
            table[(temperature, blend)] = float((mixed.argmax(axis=1) == y).mean())
    return max(table, key=table.get), table


def confusion_report(predicted, examples, labels):
    y = [e.category for e in examples]
    per_class = {c: round(float(np.mean([labels[p] == c for p, t in zip(predicted, y) if t == c])), 3) for c in labels}
    confusions = Counter((t, labels[p]) for p, t in zip(predicted, y) if labels[p] != t)
    return per_class, [f"{t} → {p}: {n}" for (t, p), n in confusions.most_common(8)]


def main():
    ap = argparse.ArgumentParser()
    root = Path(__file__).resolve().parents[1]
    ap.add_argument("--embedder", default=str(root / "models" / "embedder"))
    ap.add_argument("--out", default=str(root / "models" / "domain"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    sentence_model = load_sentence_model(args.embedder)
    labels, sources, split = domain_data.load()
    features = {name: Features(examples, sentence_model) for name, examples in split.items()}

    print("run 1: train minus validation, choose the blend on validation", flush=True)
    model = fit(features["train"], split["train"], labels, sources, SEED)
    memory, memory_labels = knn_memory(features["train"], split["train"], labels)
    sparse = fit_sparse(features["train"], split["train"], labels)
    y_validation = np.array([labels.index(e.category) for e in split["validation_questions"]])
    parts = part_probabilities(model, memory, memory_labels, sparse, features["validation_questions"], len(y_validation))
    (sparse_temperature, blend), table = choose_blend(parts, y_validation)
    validation = {
        "linear_only": table[(SPARSE_TEMPERATURES[0], (1.0, 0.0, 0.0))],
        "sparse_only": table[(SPARSE_TEMPERATURES[0], (0.0, 0.0, 1.0))],
        "linear_knn_best": max(a for (_, b), a in table.items() if b[2] == 0),
        "chosen": table[(sparse_temperature, blend)],
    }
    print("validation top-1", validation, f"sparse temperature {sparse_temperature}, blend {blend}", flush=True)

    print("run 2: train + validation", flush=True)
    final_examples = split["train"] + split["validation"]
    final_features = Features(final_examples, sentence_model)
    model = fit(final_features, final_examples, labels, sources, SEED)
    memory, memory_labels = knn_memory(final_features, final_examples, labels)
    sparse = fit_sparse(final_features, final_examples, labels)
    exported = ExportedDomainModel(model, memory, memory_labels, KNN_K, KNN_TEMPERATURE, sparse, sparse_temperature,
                                   blend).eval()
    held_q, held_o = split["held_out_questions"], split["held_out_with_options"]
    predicted_q = predict(exported, features["held_out_questions"], len(held_q))
    predicted_o = predict(exported, features["held_out_with_options"], len(held_o))
    y_held = np.array([labels.index(e.category) for e in held_q])
    held_parts = part_probabilities(model, memory, memory_labels, sparse, features["held_out_questions"], len(held_q))
    per_class, top_confusions = confusion_report(predicted_q, held_q, labels)
    metrics = {
        "held_out_questions": len(held_q),
        "top1_question_only": round(float(np.mean([labels[p] == e.category for p, e in zip(predicted_q, held_q)])), 4),
        "top1_with_options": round(float(np.mean([labels[p] == e.category for p, e in zip(predicted_o, held_o)])), 4),
        "top1_question_only_linear_head_only": round(float((held_parts[0].argmax(axis=1) == y_held).mean()), 4),
        "top1_question_only_knn_only": round(float((held_parts[1].argmax(axis=1) == y_held).mean()), 4),
        "top1_question_only_sparse_only": round(float((held_parts[2].argmax(axis=1) == y_held).mean()), 4),
        "per_class_top1_question_only": per_class,
        "top_confusions_question_only": top_confusions,
        "validation_top1": {k: round(v, 4) for k, v in validation.items()},
        "train_examples": len(final_examples),
        "knn_memory_rows": len(memory_labels),
    }
    print(json.dumps(metrics, indent=1, ensure_ascii=False))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        exported, features["held_out_questions"].padded(0), str(out / "model.onnx"),
        input_names=["ngram_ids", "ngram_weights", "embedding", "sparse_ids", "sparse_counts"], output_names=["logits"],
        dynamic_axes={"ngram_ids": {0: "batch", 1: "ngrams"}, "ngram_weights": {0: "batch", 1: "ngrams"},
                      "embedding": {0: "batch"}, "sparse_ids": {0: "batch", 1: "buckets"},
                      "sparse_counts": {0: "batch", 1: "buckets"}, "logits": {0: "batch"}},
        # Folding would store the widened float32 copies of the float16/int8 weights in the file.
        opset_version=13, do_constant_folding=False,
    )
    config = {
        "model_type": "switchyard-feature-classifier",
        "id2label": {str(i): c for i, c in enumerate(labels)},
        "label2id": {c: i for i, c in enumerate(labels)},
        "switchyard_features": {
            "ngrams": {"buckets": BUCKETS, "keys": "unigram u:w, bigram b:w1 w2", "hash": "fnv1a32", "weight": "1/sqrt(n)"},
            "embedding": "embedder",
            "sparse": {"word_buckets": SPARSE_WORD_BUCKETS, "char_buckets": SPARSE_CHAR_BUCKETS,
                       "word_keys": "unigram u:w, bigram b:w1 w2 over the tokens",
                       "char_keys": "c:gram, 2-5 code points of each whitespace-separated NFKC lower-cased word padded with spaces",
                       "hash": "fnv1a32", "inputs": "distinct bucket ids (char block offset by word_buckets) and counts"},
        },
        "blend": {"linear": blend[0], "knn": blend[1], "sparse": blend[2], "sparse_temperature": sparse_temperature},
        "knn": {"k": KNN_K, "temperature": KNN_TEMPERATURE, "rows": len(memory_labels),
                "space": "embedder semantic channel (first 100 dims), unit-normalised"},
        "held_out_metrics": metrics,
        "trained_at": time.strftime("%Y-%m-%d"),
    }
    (out / "config.json").write_text(json.dumps(config, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
