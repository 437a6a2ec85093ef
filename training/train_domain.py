"""Trains models/domain: a fastText-style classifier over the 14 MMLU-Pro categories blended with a kNN
vote over training questions, exported to ONNX (see domain_model.py for both networks).

Inputs (computed in TS by src/classifiers/feature-classifier.ts, same rules as text_features.py):
  ngram_ids     int64 [1, n]  FNV-1a(key) % buckets for every unigram "u:w" and bigram "b:w1 w2"
  ngram_weights float [1, n]  1 / sqrt(n), so the bag is length-normalised
  embedding     float [1, d]  the bundled embedder's sentence vector (models/embedder)
Output: logits [1, 14] (labels in config.json id2label); their softmax is the blended probability.

Two runs: the first trains on train minus validation and picks the kNN blend weight on validation;
the second trains on everything but the held-out split and is exported and scored on held-out.
"""
import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from torch import nn

import domain_data
from domain_model import DomainModel, ExportedDomainModel, semantic_unit
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
BLENDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
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

    def packed(self, index):
        lengths = [len(self.ids[i]) for i in index]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return (torch.from_numpy(np.concatenate([self.ids[i] for i in index])), torch.from_numpy(offsets),
                torch.from_numpy(np.concatenate([self.weights[i] for i in index])), self.embeddings[index])

    def padded(self, i):
        return torch.from_numpy(self.ids[i])[None], torch.from_numpy(self.weights[i])[None], self.embeddings[i : i + 1]


def fit(features, examples, labels, sources, seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    y = torch.tensor([labels.index(e.category) for e in examples])
    y_source = torch.tensor([sources.index(e.source) for e in examples])
    model = DomainModel(BUCKETS, HIDDEN, features.embeddings.shape[1], len(labels), len(sources), DROPOUT)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    steps = EPOCHS * -(-len(examples) // BATCH)
    # Linear decay to zero, as fastText does: the last epoch is then the best one, so no early stop is needed.
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / steps))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(EPOCHS):
        model.train()
        total = 0.0
        order = rng.permutation(len(examples))
        for start in range(0, len(order), BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad()
            category_logits, source_logits = model(*features.packed(index))
            loss = loss_fn(category_logits, y[index]) + SOURCE_LOSS_WEIGHT * loss_fn(source_logits, y_source[index])
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss) * len(index)
        print(f"epoch {epoch + 1} loss {total / len(examples):.4f}", flush=True)
    return model.eval()


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


def blended_accuracies(model, memory, memory_labels, features, examples, labels):
    y = np.array([labels.index(e.category) for e in examples])
    out = {}
    for blend in BLENDS:
        exported = ExportedDomainModel(model, memory, memory_labels, KNN_K, KNN_TEMPERATURE, blend).eval()
        out[blend] = float((predict(exported, features, len(examples)) == y).mean())
    return out


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

    print("run 1: train minus validation, choose the kNN blend on validation", flush=True)
    model = fit(features["train"], split["train"], labels, sources, SEED)
    memory, memory_labels = knn_memory(features["train"], split["train"], labels)
    validation = blended_accuracies(model, memory, memory_labels, features["validation_questions"],
                                    split["validation_questions"], labels)
    print("validation top-1 by blend", validation, flush=True)
    blend = max(validation, key=validation.get)

    print(f"run 2: train + validation, blend {blend}", flush=True)
    final_examples = split["train"] + split["validation"]
    final_features = Features(final_examples, sentence_model)
    model = fit(final_features, final_examples, labels, sources, SEED)
    memory, memory_labels = knn_memory(final_features, final_examples, labels)
    exported = ExportedDomainModel(model, memory, memory_labels, KNN_K, KNN_TEMPERATURE, blend).eval()
    held_q, held_o = split["held_out_questions"], split["held_out_with_options"]
    predicted_q = predict(exported, features["held_out_questions"], len(held_q))
    predicted_o = predict(exported, features["held_out_with_options"], len(held_o))
    linear_only = blended_accuracies(model, memory, memory_labels, features["held_out_questions"], held_q, labels)[0.0]
    per_class, top_confusions = confusion_report(predicted_q, held_q, labels)
    metrics = {
        "held_out_questions": len(held_q),
        "top1_question_only": round(float(np.mean([labels[p] == e.category for p, e in zip(predicted_q, held_q)])), 4),
        "top1_with_options": round(float(np.mean([labels[p] == e.category for p, e in zip(predicted_o, held_o)])), 4),
        "top1_question_only_without_knn": round(linear_only, 4),
        "per_class_top1_question_only": per_class,
        "top_confusions_question_only": top_confusions,
        "validation_top1_by_blend": {str(b): round(a, 4) for b, a in validation.items()},
        "train_examples": len(final_examples),
        "knn_memory_rows": len(memory_labels),
    }
    print(json.dumps(metrics, indent=1, ensure_ascii=False))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        exported, features["held_out_questions"].padded(0), str(out / "model.onnx"),
        input_names=["ngram_ids", "ngram_weights", "embedding"], output_names=["logits"],
        dynamic_axes={"ngram_ids": {0: "batch", 1: "ngrams"}, "ngram_weights": {0: "batch", 1: "ngrams"},
                      "embedding": {0: "batch"}, "logits": {0: "batch"}},
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
        },
        "knn": {"k": KNN_K, "temperature": KNN_TEMPERATURE, "blend": blend, "rows": len(memory_labels),
                "space": "embedder semantic channel (first 100 dims), unit-normalised"},
        "held_out_metrics": metrics,
        "trained_at": time.strftime("%Y-%m-%d"),
    }
    (out / "config.json").write_text(json.dumps(config, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
