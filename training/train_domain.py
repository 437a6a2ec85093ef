"""Trains models/domain: a fastText-style classifier over the 14 MMLU-Pro categories, exported to ONNX.

Inputs (computed in TS by src/classifiers/feature-classifier.ts, same rules as text_features.py):
  ngram_ids     int64 [1, n]  FNV-1a(key) % buckets for every unigram "u:w" and bigram "b:w1 w2"
  ngram_weights float [1, n]  1 / sqrt(n), so the bag is length-normalised
  embedding     float [1, d]  the bundled embedder's sentence vector (models/embedder)
Output: logits [1, 14] (labels in config.json id2label).
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import domain_data
from embedder_model import load_sentence_model
from text_features import fnv1a, ngram_keys, tokenize

BUCKETS = 1 << 16
HIDDEN = 64
EPOCHS = 4
SEED = 13


class DomainModel(nn.Module):
    def __init__(self, buckets, hidden, embedding_dims, classes):
        super().__init__()
        self.ngrams = nn.Embedding(buckets, hidden)
        nn.init.normal_(self.ngrams.weight, std=0.02)
        self.dropout = nn.Dropout(0.3)
        self.out = nn.Linear(hidden + embedding_dims, classes)

    def forward(self, ngram_ids, ngram_weights, embedding):
        bag = (self.ngrams(ngram_ids) * ngram_weights.unsqueeze(-1)).sum(dim=1)
        return self.out(self.dropout(torch.cat([bag, embedding], dim=1)))


def featurize(texts, sentence_model):
    ids, weights, embeddings = [], [], []
    for t in texts:
        keys = ngram_keys(tokenize(t)) or ["u:"]
        ids.append([fnv1a(k) % BUCKETS for k in keys])
        weights.append([1.0 / np.sqrt(len(keys))] * len(keys))
        embeddings.append(sentence_model.embed(t))
    return ids, weights, np.asarray(embeddings, dtype=np.float32)


def batch(ids, weights, embeddings, index):
    width = max(len(ids[i]) for i in index)
    bi = torch.zeros((len(index), width), dtype=torch.long)
    bw = torch.zeros((len(index), width), dtype=torch.float32)
    for row, i in enumerate(index):
        bi[row, : len(ids[i])] = torch.tensor(ids[i])
        bw[row, : len(ids[i])] = torch.tensor(weights[i])
    return bi, bw, torch.from_numpy(embeddings[index])


def accuracy(model, data, labels, sentence_model):
    ids, weights, emb = featurize([t for t, _ in data], sentence_model)
    y = np.array([labels.index(c) for _, c in data])
    model.eval()
    with torch.no_grad():
        preds = [int(model(*batch(ids, weights, emb, [i])).argmax()) for i in range(len(data))]
    return float((np.array(preds) == y).mean())


def main():
    ap = argparse.ArgumentParser()
    root = Path(__file__).resolve().parents[1]
    ap.add_argument("--embedder", default=str(root / "models" / "embedder"))
    ap.add_argument("--out", default=str(root / "models" / "domain"))
    args = ap.parse_args()
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    sentence_model = load_sentence_model(args.embedder)
    labels, train, held_q, held_o = domain_data.load()
    ids, weights, emb = featurize([t for t, _ in train], sentence_model)
    y = torch.tensor([labels.index(c) for _, c in train])
    model = DomainModel(BUCKETS, HIDDEN, emb.shape[1], len(labels))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(EPOCHS):
        model.train()
        order = rng.permutation(len(train))
        total = 0.0
        for start in range(0, len(order), 64):
            index = order[start : start + 64]
            optimizer.zero_grad()
            loss = loss_fn(model(*batch(ids, weights, emb, index)), y[index])
            loss.backward()
            optimizer.step()
            total += float(loss) * len(index)
        print(f"epoch {epoch + 1} loss {total / len(train):.4f}")
    metrics = {
        "held_out_questions": len(held_q),
        "top1_question_only": round(accuracy(model, held_q, labels, sentence_model), 4),
        "top1_with_options": round(accuracy(model, held_o, labels, sentence_model), 4),
        "train_examples": len(train),
    }
    print(json.dumps(metrics))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    dummy = batch(ids, weights, emb, [0])
    torch.onnx.export(
        model, dummy, str(out / "model.onnx"),
        input_names=["ngram_ids", "ngram_weights", "embedding"], output_names=["logits"],
        dynamic_axes={"ngram_ids": {0: "batch", 1: "ngrams"}, "ngram_weights": {0: "batch", 1: "ngrams"},
                      "embedding": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
    )
    config = {
        "model_type": "switchyard-feature-classifier",
        "id2label": {str(i): c for i, c in enumerate(labels)},
        "label2id": {c: i for i, c in enumerate(labels)},
        "switchyard_features": {
            "ngrams": {"buckets": BUCKETS, "keys": "unigram u:w, bigram b:w1 w2", "hash": "fnv1a32", "weight": "1/sqrt(n)"},
            "embedding": "embedder",
        },
        "held_out_metrics": metrics,
        "trained_at": time.strftime("%Y-%m-%d"),
    }
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
