"""Trains models/domain-head: a small network over the request's Universal Sentence Encoder Lite vector and the
bundled n-gram domain model's probabilities (models/domain), over the 14 MMLU-Pro categories.

    /usr/bin/python3 training/train_domain_head.py     # needs node_modules (the encoder's weights) and npx tsx

Graph (ONNX, runs in src/classifiers/encoder-head-classifier.ts):
    z      = [embedding, log(base_probabilities)]
    logits = L z + V relu(U z + u)              (V, U absent when HIDDEN is 0: a plain linear stack)
  embedding           float [n, 512]  the request's USE-Lite vector (shared with every other consumer)
  base_probabilities  float [n, 14]   the bundled domain model's raw probabilities
The runtime divides the logits by the calibration temperature (training/calibrate.ts) before the softmax.

Rows, each with base probabilities from a model that never saw it:
  * exam questions: every distinct question-only text of domain_data's training folds 1-4 (MMLU-Pro and MMLU),
    with the probabilities of models/domain retrained without that text's fold (training/domain_base_out_of_fold.py);
    the shipped model saw them all, and its in-fold probabilities would teach the head to trust it far too much;
  * natural questions: training/domain_natural_train.py (disjoint from the evaluation), with the shipped model's
    probabilities (it never saw them), weighted by the natural weight below.
Choices (hidden units, weight decay, epochs, natural weight, class weighting) are made on validation only: the head
is fitted on folds 2-4 plus the natural rows and scored on exam fold 1 and the natural-question dev split; the
setting with the highest min(natural dev, exam fold 1) wins, since both targets must hold. The final head is then
fitted on every row with that setting. The MMLU-Pro held-out fold (0) and the natural test split are scored once,
at the end, and never chosen on.
"""
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import domain_data  # noqa: E402
import domain_natural_train  # noqa: E402
from domain_base_out_of_fold import out_of_fold_probabilities  # noqa: E402
from encoder_features import embed_cached  # noqa: E402

SEED = 3
BATCH = 256
LEARNING_RATE = 2e-3
DROPOUT = 0.2
# Validation grid: (hidden units, weight decay, epochs, natural weight, class weighting).
GRID = [(0, 1e-4, 30, 0.5, False), (0, 1e-4, 30, 1.0, False),
        (256, 1e-4, 15, 0.5, False), (256, 1e-4, 15, 1.0, False),
        (256, 1e-4, 40, 0.5, False), (256, 1e-4, 40, 1.0, False),
        (256, 1e-4, 40, 1.0, True), (512, 1e-3, 40, 1.0, False)]
OUT = ROOT / "models" / "domain-head"
BASE_CACHE = HERE / ".cache" / "domain-base-shipped.npz"


def base_probabilities(texts):
    """The shipped domain model's raw probabilities, through the TypeScript runtime (cached by text)."""
    known = {}
    if BASE_CACHE.exists():
        z = np.load(BASE_CACHE, allow_pickle=False)
        known = dict(zip(z["texts"].tolist(), z["probabilities"]))
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
            src.write_text(json.dumps(missing), encoding="utf-8")
            subprocess.run(["npx", "tsx", "training/dump-classifier-scores.ts", "domain", str(src), str(dst)], cwd=ROOT, check=True)
            known.update(zip(missing, np.asarray(json.loads(dst.read_text()), dtype=np.float32)))
        BASE_CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez(BASE_CACHE, texts=np.array(list(known)), probabilities=np.stack(list(known.values())))
    return np.stack([known[t] for t in texts]).astype(np.float32)


class DomainHead(nn.Module):
    """logits = L z + V relu(U z + u), z = [embedding, log(base_probabilities)]."""

    def __init__(self, dimensions, labels, hidden):
        super().__init__()
        self.linear = nn.Linear(dimensions + labels, labels)
        self.hidden = nn.Sequential(nn.Linear(dimensions + labels, hidden), nn.ReLU(), nn.Dropout(DROPOUT),
                                    nn.Linear(hidden, labels, bias=False)) if hidden else None

    def forward(self, embedding, base_probabilities):
        z = torch.cat([embedding, torch.log(base_probabilities.clamp_min(1e-9))], dim=1)
        return self.linear(z) if self.hidden is None else self.linear(z) + self.hidden(z)


def fit(x, b, y, weights, labels, setting):
    """Mini-batch AdamW with linear decay to zero; returns the head in eval mode."""
    hidden, weight_decay, epochs, _, _ = setting
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    model = DomainHead(x.shape[1], labels, hidden)
    opt = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=weight_decay)
    steps = epochs * ((len(y) + BATCH - 1) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    xt, bt, yt, wt = (torch.from_numpy(a) for a in (x, b, y, weights.astype(np.float32)))
    model.train()
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(y)))
        for start in range(0, len(y), BATCH):
            i = order[start:start + BATCH]
            opt.zero_grad()
            loss = (nn.functional.cross_entropy(model(xt[i], bt[i]), yt[i], reduction="none") * wt[i]).sum() / wt[i].sum()
            loss.backward()
            opt.step()
            schedule.step()
    return model.eval()


def row_weights(y, is_natural, setting):
    """Natural rows weighted by the natural weight; with class weighting, every category's rows of each kind
    (exam, natural) weigh as much in total as the average category's (capped at 4x a row's own weight)."""
    _, _, _, natural_weight, balanced = setting
    w = np.where(is_natural, natural_weight, 1.0)
    if balanced:
        for kind in (False, True):
            counts = Counter(y[is_natural == kind].tolist())
            mean = np.mean(list(counts.values()))
            for c, n in counts.items():
                w[(is_natural == kind) & (y == c)] *= min(4.0, mean / n)
    return w


@torch.no_grad()
def logits_of(model, x, b):
    return model(torch.from_numpy(x), torch.from_numpy(b)).numpy()


def accuracy(predicted, accept, labels):
    return float(np.mean([labels[p] in a for p, a in zip(predicted, accept)]))


def main():
    torch.set_num_threads(1)
    labels, _, split = domain_data.load()
    index = {c: i for i, c in enumerate(labels)}
    natural = [json.loads(line) for line in (ROOT / "eval" / "domain-natural.jsonl").read_text(encoding="utf-8").split("\n") if line.strip()]
    natural_train = domain_natural_train.load([r["text"] for r in natural])

    exam = list({e.text: e for part in ("train", "validation") for e in split[part] if e.question_only}.values())
    out_of_fold = out_of_fold_probabilities()
    texts = [e.text for e in exam] + [t for _, t, _ in natural_train]
    x = embed_cached(texts)
    b = np.concatenate([np.stack([out_of_fold[e.text] for e in exam]),
                        base_probabilities([t for _, t, _ in natural_train])]).astype(np.float32)
    y = np.asarray([index[e.category] for e in exam] + [index[c] for _, _, c in natural_train])
    is_natural = np.asarray([False] * len(exam) + [True] * len(natural_train))
    fold = np.asarray([domain_data.fold(e.text) for e in exam] + [-1] * len(natural_train))

    held = split["held_out_questions"]
    sets = {
        "natural-dev": [(r["text"], r["accept"]) for r in natural if r["split"] == "dev"],
        "natural-test": [(r["text"], r["accept"]) for r in natural if r["split"] == "test"],
        "mmlu-pro-held-out": [(e.text, [e.category]) for e in held],
    }
    evaluation = {name: (embed_cached([t for t, _ in rows]), base_probabilities([t for t, _ in rows]), [a for _, a in rows])
                  for name, rows in sets.items()}

    # Validation: fit on exam folds 2-4 and the natural rows, score exam fold 1 and natural dev.
    fit_rows, val_rows = fold != 1, fold == 1
    val_accept = [[labels[c]] for c in y[val_rows]]
    table, chosen = [], None
    for setting in GRID:
        w = row_weights(y, is_natural, setting)
        model = fit(x[fit_rows], b[fit_rows], y[fit_rows], w[fit_rows], len(labels), setting)
        dev = accuracy(logits_of(model, *evaluation["natural-dev"][:2]).argmax(1), evaluation["natural-dev"][2], labels)
        exam_val = accuracy(logits_of(model, x[val_rows], b[val_rows]).argmax(1), val_accept, labels)
        row = {"hidden": setting[0], "weight_decay": setting[1], "epochs": setting[2], "natural_weight": setting[3],
               "class_weighting": setting[4], "natural-dev": round(dev, 4), "exam-fold1": round(exam_val, 4)}
        table.append(row)
        print(row, flush=True)
        if chosen is None or min(dev, exam_val) > chosen[0]:
            chosen = (min(dev, exam_val), row, setting)
    _, best, setting = chosen
    print("chosen", best, flush=True)
    model = fit(x, b, y, row_weights(y, is_natural, setting), len(labels), setting)
    base_fold1 = accuracy(b[val_rows].argmax(1), val_accept, labels)

    metrics = {"chosen_on_validation": best, "validation_table": table,
               "validation_base_model_alone_exam_fold1_out_of_fold": round(base_fold1, 4)}
    for key, mode in (("top1_blend", "head"), ("top1_bundled_domain_model_alone", "base")):
        metrics[key] = {name: round(accuracy((logits_of(model, x_, b_) if mode == "head" else b_).argmax(1), a, labels), 4)
                        for name, (x_, b_, a) in evaluation.items()}
    x_t, b_t, accept = evaluation["natural-test"]
    predicted = logits_of(model, x_t, b_t).argmax(1)
    sources = [r["source"] for r in natural if r["split"] == "test"]
    metrics["natural_test_by_source"] = {
        s: {"rows": int(sum(x_ == s for x_ in sources)),
            "top1": round(accuracy(predicted[[i for i, x_ in enumerate(sources) if x_ == s]],
                                   [accept[i] for i, x_ in enumerate(sources) if x_ == s], labels), 4),
            "source_gave_training_rows": s in domain_natural_train.SHARED_WITH_EVAL}
        for s in sorted(set(sources))}
    unseen = [i for i, s in enumerate(sources) if s not in domain_natural_train.SHARED_WITH_EVAL]
    metrics["natural_test_sources_without_training_rows"] = {
        "rows": len(unseen), "top1": round(accuracy(predicted[unseen], [accept[i] for i in unseen], labels), 4)}
    metrics["rows"] = {name: len(v[2]) for name, v in evaluation.items()} | {
        "train_exam": int((~is_natural).sum()), "train_natural": int(is_natural.sum()), "validation_exam_fold1": int(val_rows.sum())}
    metrics["natural_train_rows_by_source"] = dict(Counter(s for s, _, _ in natural_train))
    print(json.dumps({k: v for k, v in metrics.items() if k != "validation_table"}, indent=1), flush=True)
    export(model, labels, metrics, evaluation, setting[0])


def export(model, labels, metrics, evaluation, hidden):
    OUT.mkdir(parents=True, exist_ok=True)
    x, b, _ = evaluation["natural-test"]
    dummy = (torch.from_numpy(x[:2]), torch.from_numpy(b[:2]))
    torch.onnx.export(model, dummy, str(OUT / "model.onnx"), input_names=["embedding", "base_probabilities"], output_names=["logits"],
                      dynamic_axes={"embedding": {0: "n"}, "base_probabilities": {0: "n"}, "logits": {0: "n"}}, opset_version=13)
    parity = logits_of(model, x[:3], b[:3])
    config_path = OUT / "config.json"
    previous = json.loads(config_path.read_text()) if config_path.exists() else {}
    config = {
        "model_type": "switchyard-encoder-head",
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "switchyard_head": {"encoder": "use-lite", "dimensions": 512, "base_model": "domain", "hidden": hidden,
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
