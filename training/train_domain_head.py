"""Trains models/domain-head: a stacked linear model over the request's Universal Sentence Encoder Lite vector
and the bundled n-gram domain model's probabilities (models/domain), over the 14 MMLU-Pro categories.

    /usr/bin/python3 training/train_domain_head.py     # needs node_modules (the encoder's weights) and npx tsx

Graph (ONNX, runs in src/classifiers/encoder-head-classifier.ts):
    logits = A · embedding + B · log(base_probabilities) + c
  embedding           float [n, 512]  the request's USE-Lite vector (shared with every other consumer)
  base_probabilities  float [n, 14]   the bundled domain model's raw probabilities
The runtime divides the logits by the calibration temperature (training/calibrate.ts) before the softmax.

Two stages (stacking), each fitted on rows the stage below it never saw:
 1. Encoder head: multinomial logistic regression h(e) = W e + b on the question texts of MMLU-Pro and MMLU
    from domain_data's training folds (2-4) (at most PER_CATEGORY per category, seeded), plus half of the natural training questions
    (training/domain_natural_train.py; the half is FNV-1a(text) % 2 == 0).
 2. Stacker: multinomial logistic regression on [h(e), log p_base] (28 features) fitted on MMLU fold 1
    (questions; p_base from models/domain retrained without fold 1, training/domain_base_out_of_fold.py) and
    the other half of the natural training questions (p_base from the shipped models/domain, which never saw them).
    A = S_h W, B = S_b, c = S_h b + s: one linear graph.
Choices (head L2, stacker L2, weight of the natural rows in the stacker) are made on the natural-question dev
split and on 5-fold out-of-fold predictions over the stacker's MMLU rows: the setting with the highest
min(natural dev, MMLU fold-1 out-of-fold) wins, since both targets must hold. The MMLU-Pro held-out fold
and the natural test split are scored once, at the end.
"""
import json
import subprocess
import sys
import tempfile
import random
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import domain_data  # noqa: E402
import domain_natural_train  # noqa: E402
from domain_base_out_of_fold import fold1_probabilities  # noqa: E402
from encoder_features import embed_cached  # noqa: E402
from text_features import fnv1a  # noqa: E402

SEED = 3
# Exam questions per category for the encoder head: all of the training folds' (about 1,100 per category).
PER_CATEGORY = 2000
HEAD_EPOCHS = 300
STACK_EPOCHS = 200
HEAD_WEIGHT_DECAYS = (1e-5, 1e-4)
STACK_WEIGHT_DECAYS = (1e-3, 1e-2)
NATURAL_WEIGHTS = (0.5, 1.0)
FOLDS = 5
OUT = ROOT / "models" / "domain-head"


def base_probabilities(texts):
    """The shipped domain model's raw probabilities, through the TypeScript runtime."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(texts), encoding="utf-8")
        subprocess.run(["npx", "tsx", "training/dump-classifier-scores.ts", "domain", str(src), str(dst)], cwd=ROOT, check=True)
        return np.asarray(json.loads(dst.read_text()), dtype=np.float32)


def logistic_regression(x, y, classes, weight_decay, epochs, sample_weight=None):
    """Full-batch multinomial logistic regression (Adam 0.05, L2 as weight decay); returns nn.Linear."""
    torch.manual_seed(SEED)
    linear = nn.Linear(x.shape[1], classes)
    opt = torch.optim.Adam(linear.parameters(), lr=0.05, weight_decay=weight_decay)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    wt = torch.ones(len(y)) if sample_weight is None else torch.from_numpy(sample_weight.astype(np.float32))
    for _ in range(epochs):
        opt.zero_grad()
        loss = (nn.functional.cross_entropy(linear(xt), yt, reduction="none") * wt).sum() / wt.sum()
        loss.backward()
        opt.step()
    return linear.eval()


@torch.no_grad()
def apply(linear, x):
    return linear(torch.from_numpy(x)).numpy()


def stack_features(head, x, base):
    return np.concatenate([apply(head, x), np.log(np.clip(base, 1e-9, None))], axis=1).astype(np.float32)


class StackedHead(nn.Module):
    """logits = A · embedding + B · log(base_probabilities) + c, the two stages folded into one graph."""

    def __init__(self, head, stacker, labels):
        super().__init__()
        s_h, s_b = stacker.weight.data[:, :labels], stacker.weight.data[:, labels:]
        self.embedding_part = nn.Linear(head.in_features, labels)
        self.embedding_part.weight.data = s_h @ head.weight.data
        self.embedding_part.bias.data = s_h @ head.bias.data + stacker.bias.data
        self.base_part = nn.Linear(labels, labels, bias=False)
        self.base_part.weight.data = s_b.clone()

    def forward(self, embedding, base_probabilities):
        return self.embedding_part(embedding) + self.base_part(torch.log(base_probabilities.clamp_min(1e-9)))


def accuracy(predicted, accept, labels):
    return float(np.mean([labels[p] in a for p, a in zip(predicted, accept)]))


def main():
    torch.set_num_threads(1)
    labels, _, split = domain_data.load()
    index = {c: i for i, c in enumerate(labels)}
    natural = [json.loads(line) for line in (ROOT / "eval" / "domain-natural.jsonl").read_text(encoding="utf-8").split("\n") if line.strip()]
    natural_train = domain_natural_train.load([r["text"] for r in natural])
    head_natural = [r for r in natural_train if fnv1a(r[1]) % 2 == 0]
    stack_natural = [r for r in natural_train if fnv1a(r[1]) % 2 == 1]
    by_category = defaultdict(list)
    for e in {e.text: e for part in ("train", "validation") for e in split[part]
              if e.question_only and domain_data.fold(e.text) != 1}.values():
        by_category[e.category].append(e)
    rng = random.Random(SEED)
    head_mmlu = []
    for c in sorted(by_category):
        rng.shuffle(by_category[c])
        head_mmlu += by_category[c][:PER_CATEGORY]
    fold1 = fold1_probabilities()
    stack_mmlu = list({e.text: e for e in split["validation_questions"]}.values())

    # Stage 1: the encoder head.
    head_texts = [e.text for e in head_mmlu] + [t for _, t, _ in head_natural]
    x_head = embed_cached(head_texts)
    y_head = np.asarray([index[e.category] for e in head_mmlu] + [index[c] for _, _, c in head_natural])

    # Stage 2 rows: MMLU fold 1 (out-of-fold base) and the other natural half (shipped base, never trained on them).
    x_stack = embed_cached([e.text for e in stack_mmlu] + [t for _, t, _ in stack_natural])
    b_stack = np.concatenate([np.stack([fold1[e.text] for e in stack_mmlu]),
                              base_probabilities([t for _, t, _ in stack_natural])]).astype(np.float32)
    y_stack = np.asarray([index[e.category] for e in stack_mmlu] + [index[c] for _, _, c in stack_natural])
    is_natural = np.asarray([0] * len(stack_mmlu) + [1] * len(stack_natural))

    held = split["held_out_questions"]
    sets = {
        "natural-dev": [(r["text"], r["accept"]) for r in natural if r["split"] == "dev"],
        "natural-test": [(r["text"], r["accept"]) for r in natural if r["split"] == "test"],
        "mmlu-pro-held-out": [(e.text, [e.category]) for e in held],
    }
    evaluation = {name: (embed_cached([t for t, _ in rows]), base_probabilities([t for t, _ in rows]), [a for _, a in rows])
                  for name, rows in sets.items()}

    mmlu_rows = np.flatnonzero(is_natural == 0)
    fold_of = np.asarray([fnv1a(e.text + "#stack") % FOLDS for e in stack_mmlu])
    table, chosen = [], None
    for head_wd in HEAD_WEIGHT_DECAYS:
        head = logistic_regression(x_head, y_head, len(labels), head_wd, HEAD_EPOCHS)
        z_stack = stack_features(head, x_stack, b_stack)
        z_dev = stack_features(head, *evaluation["natural-dev"][:2])
        for stack_wd in STACK_WEIGHT_DECAYS:
            for natural_weight in NATURAL_WEIGHTS:
                weights = np.where(is_natural == 1, natural_weight, 1.0)
                stacker = logistic_regression(z_stack, y_stack, len(labels), stack_wd, STACK_EPOCHS, weights)
                dev = accuracy(apply(stacker, z_dev).argmax(1), evaluation["natural-dev"][2], labels)
                out_of_fold = np.zeros(len(mmlu_rows), dtype=np.int64)
                for k in range(FOLDS):
                    keep = np.ones(len(y_stack), dtype=bool)
                    keep[mmlu_rows[fold_of == k]] = False
                    part = logistic_regression(z_stack[keep], y_stack[keep], len(labels), stack_wd, STACK_EPOCHS, weights[keep])
                    out_of_fold[fold_of == k] = apply(part, z_stack[mmlu_rows[fold_of == k]]).argmax(1)
                mmlu = float(np.mean(out_of_fold == y_stack[mmlu_rows]))
                row = {"head_weight_decay": head_wd, "stack_weight_decay": stack_wd, "natural_weight": natural_weight,
                       "natural-dev": round(dev, 4), "mmlu-fold1-out-of-fold": round(mmlu, 4)}
                table.append(row)
                print(row, flush=True)
                if chosen is None or min(dev, mmlu) > chosen[0]:
                    chosen = (min(dev, mmlu), row, head, stacker)
    _, best, head, stacker = chosen
    model = StackedHead(head, stacker, len(labels)).eval()

    def top1(name, mode):
        x, b, a = evaluation[name]
        if mode == "stacked":
            with torch.no_grad():
                logits = model(torch.from_numpy(x), torch.from_numpy(b)).numpy()
        elif mode == "head":
            logits = apply(head, x)
        else:
            logits = b
        return logits.argmax(1), a

    metrics = {"chosen_on_validation": best, "validation_table": table}
    for key, mode in (("top1_blend", "stacked"), ("top1_encoder_head_alone", "head"), ("top1_bundled_domain_model_alone", "base")):
        metrics[key] = {name: round(accuracy(*top1(name, mode), labels), 4) for name in evaluation}
    predicted, accept = top1("natural-test", "stacked")
    sources = [r["source"] for r in natural if r["split"] == "test"]
    metrics["natural_test_by_source"] = {
        s: {"rows": int(sum(x == s for x in sources)),
            "top1": round(accuracy(predicted[[i for i, x in enumerate(sources) if x == s]],
                                   [accept[i] for i, x in enumerate(sources) if x == s], labels), 4),
            "source_gave_training_rows": s in domain_natural_train.SHARED_WITH_EVAL}
        for s in sorted(set(sources))}
    unseen = [i for i, s in enumerate(sources) if s not in domain_natural_train.SHARED_WITH_EVAL]
    metrics["natural_test_sources_without_training_rows"] = {
        "rows": len(unseen), "top1": round(accuracy(predicted[unseen], [accept[i] for i in unseen], labels), 4)}
    metrics["rows"] = {name: len(v[2]) for name, v in evaluation.items()} | {
        "head_train_mmlu": len(head_mmlu), "head_train_natural": len(head_natural),
        "stack_mmlu_fold1": len(stack_mmlu), "stack_natural": len(stack_natural)}
    metrics["natural_train_rows_by_source"] = dict(Counter(s for s, _, _ in natural_train))
    print(json.dumps({k: v for k, v in metrics.items() if k != "validation_table"}, indent=1), flush=True)
    export(model, labels, metrics, evaluation)


def export(model, labels, metrics, evaluation):
    OUT.mkdir(parents=True, exist_ok=True)
    x, b, _ = evaluation["natural-test"]
    dummy = (torch.from_numpy(x[:2]), torch.from_numpy(b[:2]))
    torch.onnx.export(model, dummy, str(OUT / "model.onnx"), input_names=["embedding", "base_probabilities"], output_names=["logits"],
                      dynamic_axes={"embedding": {0: "n"}, "base_probabilities": {0: "n"}, "logits": {0: "n"}}, opset_version=13)
    with torch.no_grad():
        parity = model(torch.from_numpy(x[:3]), torch.from_numpy(b[:3])).numpy()
    config_path = OUT / "config.json"
    previous = json.loads(config_path.read_text()) if config_path.exists() else {}
    config = {
        "model_type": "switchyard-encoder-head",
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "switchyard_head": {"encoder": "use-lite", "dimensions": 512, "base_model": "domain",
                            "inputs": "embedding [n, 512] (USE-Lite, L2-normalised); base_probabilities [n, 14] (models/domain, raw)"},
        "parity_check": [{"embedding": [round(float(v), 7) for v in x[i]], "base_probabilities": [round(float(v), 7) for v in b[i]],
                          "logits": [round(float(v), 5) for v in parity[i]]} for i in range(3)],
        "metrics": metrics,
    }
    if "calibration" in previous:
        # Refitted by training/calibrate.ts after every retraining; kept only so the file stays loadable until then.
        config["calibration"] = previous["calibration"]
    config_path.write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
