"""Trains and exports models/jailbreak: hashed n-gram bag -> 16 hidden units -> jailbreak probability.

    /usr/bin/python3 training/jailbreak/train_jailbreak.py [--out models/jailbreak] [--skip-source-holdout]

Evaluation, all on rows the model never trained on:
  * random holdout: 70/15/15 train/validation/test split of every source; the threshold is the
    lowest score that keeps validation false positives at or under TARGET_FPR;
  * source holdout: for each source, a model trained without any row of it, with the threshold
    picked on the other sources' validation rows, scored on every row of the held-out source
    (recall for attack sources, false-positive rate for benign ones);
  * robustness: the share of detected test jailbreaks still detected after a benign paragraph or
    sentence is appended or prepended, and after case and whitespace noise. Unicode tricks are
    undone by the router before scoring (src/router/text-normalization.ts) and tested in TS.
"""
import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jailbreak_data import load_rows  # noqa: E402
from jailbreak_features import BUCKETS, STRIDE, WINDOW, feature_ids, token_windows  # noqa: E402
from text_features import tokenize  # noqa: E402

HIDDEN = 16
EPOCHS = 3
SEED = 11
TARGET_FPR = 0.02


class JailbreakModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(BUCKETS, HIDDEN, mode="sum", sparse=True)
        nn.init.normal_(self.bag.weight, std=0.02)
        self.out = nn.Linear(HIDDEN, 1)

    def forward(self, flat_ids, offsets, weights):
        return self.out(torch.relu(self.bag(flat_ids, offsets, per_sample_weights=weights))).squeeze(-1)


class ExportModel(nn.Module):
    """The same network over padded [batch, ngrams] inputs (padding weight 0), as ONNX runs it."""

    def __init__(self, trained):
        super().__init__()
        self.table = nn.Embedding(BUCKETS, HIDDEN)
        self.table.weight.data.copy_(trained.bag.weight.data)
        self.out = trained.out

    def forward(self, ngram_ids, ngram_weights):
        bag = (self.table(ngram_ids) * ngram_weights.unsqueeze(-1)).sum(dim=1)
        return torch.sigmoid(self.out(torch.relu(bag)).squeeze(-1))


def ids_of(text):
    return feature_ids(tokenize(text))


def to_batch(id_lists):
    flat, offsets, weights = [], [], []
    for ids in id_lists:
        offsets.append(len(flat))
        flat += ids
        weights += [1.0 / np.sqrt(len(ids))] * len(ids)
    return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long), torch.tensor(weights, dtype=torch.float32)


def noisy_case(text, rng):
    mode = rng.randrange(3)
    if mode == 0:
        return text.upper()
    if mode == 1:
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)
    return "  ".join(text.split()).replace(". ", ".\n\n")


def augment(rows, rng):
    """Train rows plus padded and noisy copies, so neither length nor case separates the classes."""
    benign = [t for t, y, _ in rows if y == 0]
    paragraphs = [t for t in benign if 20 <= len(t.split()) <= 150] or benign
    out = list(rows)
    for text, label, source in rows:
        if label == 1:
            out.append((text + "\n\n" + rng.choice(paragraphs), 1, source))
            out.append((rng.choice(paragraphs) + "\n\n" + text, 1, source))
            out.append((noisy_case(text, rng), 1, source))
        else:
            if rng.random() < 0.3:
                out.append((text + "\n\n" + rng.choice(paragraphs), 0, source))
            if rng.random() < 0.2:
                out.append((noisy_case(text, rng), 0, source))
    return out


def training_examples(rows):
    """(ids, label) per row; long benign rows also add each window, since scoring takes the max over windows."""
    examples = []
    for text, label, _ in rows:
        tokens = tokenize(text)
        examples.append((feature_ids(tokens), label))
        if label == 0 and len(tokens) > WINDOW:
            examples += [(feature_ids(w), 0) for w in token_windows(tokens)[1:]]
    return examples


def train(rows, epochs=EPOCHS, seed=SEED):
    torch.manual_seed(seed)
    rng = random.Random(seed)
    examples = training_examples(augment(rows, rng))
    model = JailbreakModel()
    sparse_opt = torch.optim.SparseAdam(list(model.bag.parameters()), lr=0.01)
    dense_opt = torch.optim.Adam(model.out.parameters(), lr=0.01)
    positives = sum(y for _, y in examples)
    pos_weight = torch.tensor((len(examples) - positives) / max(positives, 1))
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    for _ in range(epochs):
        rng.shuffle(examples)
        for i in range(0, len(examples), 64):
            chunk = examples[i:i + 64]
            flat, offsets, weights = to_batch([ids for ids, _ in chunk])
            labels = torch.tensor([float(y) for _, y in chunk])
            sparse_opt.zero_grad()
            dense_opt.zero_grad()
            loss_fn(model(flat, offsets, weights), labels).backward()
            sparse_opt.step()
            dense_opt.step()
    model.eval()
    return model


@torch.no_grad()
def scores(model, texts):
    """Max over the whole text and its windows, as the router scores."""
    out = []
    for start in range(0, len(texts), 256):
        groups = [[feature_ids(w) for w in token_windows(tokenize(t))] for t in texts[start:start + 256]]
        flat_lists = [ids for g in groups for ids in g]
        probs = torch.sigmoid(model(*to_batch(flat_lists))).tolist()
        k = 0
        for g in groups:
            out.append(max(probs[k:k + len(g)]))
            k += len(g)
    return np.asarray(out)


def threshold_for(benign_scores, fpr=TARGET_FPR):
    """Lowest threshold whose false-positive rate on these benign scores is at most `fpr`."""
    ordered = np.sort(benign_scores)[::-1]
    allowed = int(np.floor(fpr * len(ordered)))
    return float(ordered[allowed]) + 1e-6 if allowed < len(ordered) else 0.0


def split(rows, rng):
    shuffled = rows[:]
    rng.shuffle(shuffled)
    n = len(shuffled)
    return shuffled[: int(0.7 * n)], shuffled[int(0.7 * n): int(0.85 * n)], shuffled[int(0.85 * n):]


def rates(model, rows, threshold):
    texts = [t for t, _, _ in rows]
    labels = np.asarray([y for _, y, _ in rows])
    flagged = scores(model, texts) >= threshold
    pos, neg = labels == 1, labels == 0
    return {
        "recall": round(float(flagged[pos].mean()), 4) if pos.any() else None,
        "fpr": round(float(flagged[neg].mean()), 4) if neg.any() else None,
        "positives": int(pos.sum()),
        "negatives": int(neg.sum()),
    }


def per_source(model, rows, threshold):
    out = {}
    for source in sorted({s for _, _, s in rows}):
        subset = [r for r in rows if r[2] == source]
        r = rates(model, subset, threshold)
        out[source] = {"label": subset[0][1], "rows": len(subset), "flagged": r["recall"] if subset[0][1] == 1 else r["fpr"]}
    return out


def survival(model, test, threshold, rng):
    benign = [t for t, y, _ in test if y == 0 and 30 <= len(t.split()) <= 120]
    attacks = [t for t, y, _ in test if y == 1]
    detected = [t for t, s in zip(attacks, scores(model, attacks)) if s >= threshold]
    variants = {
        "append_benign_paragraph": lambda t: t + "\n\n" + rng.choice(benign),
        "prepend_benign_paragraph": lambda t: rng.choice(benign) + "\n\n" + t,
        "append_two_benign_paragraphs": lambda t: t + "\n\n" + rng.choice(benign) + "\n\n" + rng.choice(benign),
        "append_benign_sentence": lambda t: t + " Thanks, and have a nice day!",
        "odd_case_and_whitespace": lambda t: noisy_case(t, rng),
    }
    out = {"detected_test_jailbreaks": len(detected)}
    for name, make in variants.items():
        out[name] = round(float((scores(model, [make(t) for t in detected]) >= threshold).mean()), 4)
    return out


def source_holdout(rows, rng):
    """One model per held-out source; fewer epochs to keep the whole sweep to a few minutes."""
    train_rows, val_rows, _ = split(rows, random.Random(SEED))
    results = {}
    for source in sorted({s for _, _, s in rows}):
        held = [r for r in rows if r[2] == source]
        if len(held) < 40:
            continue
        model = train([r for r in train_rows if r[2] != source], epochs=3)
        val = [r for r in val_rows if r[2] != source]
        threshold = threshold_for(scores(model, [t for t, y, _ in val if y == 0]))
        r = rates(model, held, threshold)
        label = held[0][1]
        results[source] = {"label": label, "rows": len(held), ("recall" if label == 1 else "fpr"): r["recall"] if label == 1 else r["fpr"]}
        print(source, results[source], flush=True)
    pos = [v for v in results.values() if v["label"] == 1]
    neg = [v for v in results.values() if v["label"] == 0]
    results["macro_recall_attack_sources"] = round(float(np.mean([v["recall"] for v in pos])), 4)
    results["macro_fpr_benign_sources"] = round(float(np.mean([v["fpr"] for v in neg])), 4)
    return results


def export(model, out, threshold, metrics):
    out.mkdir(parents=True, exist_ok=True)
    exported = ExportModel(model).eval()
    dummy = (torch.zeros((1, 3), dtype=torch.long), torch.ones((1, 3), dtype=torch.float32))
    torch.onnx.export(
        exported, dummy, str(out / "model.onnx"),
        input_names=["ngram_ids", "ngram_weights"], output_names=["score"],
        dynamic_axes={"ngram_ids": {0: "batch", 1: "ngrams"}, "ngram_weights": {0: "batch", 1: "ngrams"}, "score": {0: "batch"}},
        opset_version=13,
    )
    config = {
        "model_type": "switchyard-jailbreak-classifier",
        "id2label": {"0": "benign", "1": "jailbreak"},
        "label2id": {"benign": 0, "jailbreak": 1},
        "switchyard_features": {
            "ngrams": {"buckets": BUCKETS, "keys": "unigram u:w, bigram b:w1 w2, char trigram c:xyz of <token>", "hash": "fnv1a32", "weight": "1/sqrt(n)"},
            "windows": {"size": WINDOW, "stride": STRIDE, "aggregate": "max"},
        },
        "recommended_threshold": round(threshold, 4),
        "metrics": metrics,
        "trained_at": time.strftime("%Y-%m-%d"),
    }
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "models" / "jailbreak"))
    parser.add_argument("--skip-source-holdout", action="store_true")
    args = parser.parse_args()
    rows = load_rows()
    rng = random.Random(SEED)
    train_rows, val_rows, test_rows = split(rows, random.Random(SEED))
    started = time.time()
    model = train(train_rows)
    print(f"trained in {time.time() - started:.1f}s", flush=True)
    threshold = threshold_for(scores(model, [t for t, y, _ in val_rows if y == 0]))
    metrics = {
        "threshold": round(threshold, 4),
        "random_holdout_test": rates(model, test_rows, threshold),
        "random_holdout_test_by_source": per_source(model, test_rows, threshold),
        "survival": survival(model, test_rows, threshold, rng),
        "train_rows": len(train_rows),
    }
    print(json.dumps(metrics, indent=1), flush=True)
    if not args.skip_source_holdout:
        metrics["source_holdout"] = source_holdout(rows, rng)
    export(model, Path(args.out), threshold, metrics)
    print(json.dumps(metrics.get("source_holdout", {}), indent=1))


if __name__ == "__main__":
    main()
