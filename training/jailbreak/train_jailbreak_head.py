"""Trains a jailbreak head: logistic regression on Universal Sentence Encoder Lite vectors, blended with a
windowed n-gram jailbreak model as a cheap feature.

    /usr/bin/python3 training/jailbreak/train_jailbreak.py --out training/.cache/jailbreak-grouped --skip-source-holdout
    /usr/bin/python3 training/jailbreak/train_jailbreak_head.py [BASE_DIR]     # needs npx tsx

BASE_DIR (default training/.cache/jailbreak-grouped) is the windowed model trained on jailbreak_data's grouped
split, so that no validation or test row was seen by the base either. The shipped models/jailbreak predates that
split (it trained on rows that are now test rows): a head blended with it would be measured on rows its base saw.
Without BASE_DIR the head is trained and measured on the encoder alone (base weight 0).
The result goes to training/.cache/jailbreak-head (measured, not shipped: the jailbreak signal has no runtime
for it yet).

Graph (ONNX, src/classifiers/encoder-head-classifier.ts):
    logit = w · embedding + b + base_weight · logit(base_score)
  embedding   float [n, 512]  USE-Lite vector of the text (its first 128 tokens; shared per request)
  base_score  float [n, 1]    models/jailbreak's raw windowed score (max over the text and its windows)
Output `logits` [n, 2] = [0, logit], so the softmax is [P(benign), P(jailbreak)].

Data: jailbreak_data's grouped split. Training rows: at most PER_SOURCE per source from the training side
(the encoder features are computed on a loaded 2-core machine). base_weight and the L2 strength are
chosen on validation rows only (recall at the validation threshold that keeps everyday benign false
positives at or under 1%); the test split is scored once.
"""
import json
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import jailbreak_data  # noqa: E402
from encoder_features import embed_cached  # noqa: E402
from train_jailbreak import EDGY_BENIGN, EVERYDAY_BENIGN, HARMFUL_REQUESTS  # noqa: E402

PER_SOURCE = 150
SEED = 5
EPOCHS = 400
WEIGHT_DECAYS = (1e-4, 1e-3)
BASE_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
EVERYDAY_FPR = 0.01
OUT = ROOT / "training" / ".cache" / "jailbreak-head"
BASE_DIR = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "training" / ".cache" / "jailbreak-grouped"
if not BASE_DIR.exists():
    print(f"no base model at {BASE_DIR}: encoder alone", flush=True)
    BASE_WEIGHTS = (0.0,)


def base_scores(texts):
    if not BASE_DIR.exists():
        return np.full((len(texts), 1), 0.5, dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(texts), encoding="utf-8")
        subprocess.run(["npx", "tsx", "training/dump-classifier-scores.ts", "jailbreak", str(src), str(dst), str(BASE_DIR)], cwd=ROOT, check=True)
        return np.asarray(json.loads(dst.read_text()), dtype=np.float32)


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(512, 1)
        self.base_weight = nn.Parameter(torch.zeros(()), requires_grad=False)

    def forward(self, embedding, base_score):
        p = base_score.clamp(1e-6, 1 - 1e-6)
        logit = self.linear(embedding) + self.base_weight * torch.log(p / (1 - p))
        return torch.cat([torch.zeros_like(logit), logit], dim=1)


def fit(x, base, y, base_weight, weight_decay):
    """The linear part is fitted with the base logit as a fixed offset, so it learns what the base misses."""
    torch.manual_seed(SEED)
    head = Head()
    head.base_weight.fill_(base_weight)
    opt = torch.optim.Adam(head.linear.parameters(), lr=0.05, weight_decay=weight_decay)
    xt, bt, yt = torch.from_numpy(x), torch.from_numpy(base), torch.from_numpy(y.astype(np.float32))
    positive_weight = float((y == 0).sum() / max(1, (y == 1).sum()))
    for _ in range(EPOCHS):
        opt.zero_grad()
        logit = head(xt, bt)[:, 1]
        nn.functional.binary_cross_entropy_with_logits(logit, yt, pos_weight=torch.tensor(positive_weight)).backward()
        opt.step()
    return head.eval()


@torch.no_grad()
def probability(head, x, base):
    return torch.softmax(head(torch.from_numpy(x), torch.from_numpy(base)), dim=1)[:, 1].numpy()


def threshold_at(scores, fpr):
    ordered = np.sort(scores)[::-1]
    allowed = int(np.floor(fpr * len(ordered)))
    return float(ordered[allowed]) + 1e-6 if allowed < len(ordered) else 0.0


def report(p, rows, threshold):
    flagged = p >= threshold
    out = {}
    for name, sources, label in (("everyday_benign_fpr", EVERYDAY_BENIGN, 0), ("edgy_benign_fpr", EDGY_BENIGN, 0),
                                 ("harmful_requests_recall", HARMFUL_REQUESTS, 1)):
        idx = [i for i, r in enumerate(rows) if r[2] in sources and r[1] == label]
        out[name] = round(float(flagged[idx].mean()), 4) if idx else None
    attacks = [i for i, r in enumerate(rows) if r[1] == 1]
    benign = [i for i, r in enumerate(rows) if r[1] == 0]
    out["all_attacks_recall"] = round(float(flagged[attacks].mean()), 4)
    out["all_benign_fpr"] = round(float(flagged[benign].mean()), 4)
    by_source = defaultdict(list)
    for i, r in enumerate(rows):
        by_source[r[2]].append(flagged[i])
    out["flagged_by_source"] = {s: {"rows": len(v), "flagged": round(float(np.mean(v)), 4)} for s, v in sorted(by_source.items())}
    return out


def survival(head, threshold, rows, p):
    """Share of detected test attacks still detected with a benign test paragraph appended (or prepended)."""
    rng = random.Random(SEED)
    benign = [r[0] for r in rows if r[1] == 0 and 30 <= len(r[0].split()) <= 120]
    detected = [r[0] for r, score in zip(rows, p) if r[1] == 1 and score >= threshold]
    out = {"detected_test_attacks": len(detected)}
    for name, make in (("append_benign_paragraph", lambda t: t + "\n\n" + rng.choice(benign)),
                       ("prepend_benign_paragraph", lambda t: rng.choice(benign) + "\n\n" + t)):
        texts = [make(t) for t in detected]
        out[name] = round(float((probability(head, embed_cached(texts), base_scores(texts)) >= threshold).mean()), 4)
    return out


def main():
    torch.set_num_threads(1)
    groups = {}
    rows = jailbreak_data.load_rows(groups)
    train, val, test, _ = jailbreak_data.split_rows(rows, groups)
    by = defaultdict(list)
    for r in train:
        by[r[2]].append(r)
    rng = random.Random(SEED)
    sample = []
    for s in sorted(by):
        rng.shuffle(by[s])
        sample += by[s][:PER_SOURCE]
    data = {}
    for name, part in (("train", sample), ("validation", val), ("test", test)):
        texts = [r[0] for r in part]
        data[name] = (embed_cached(texts), base_scores(texts), np.asarray([r[1] for r in part]), part)
    x, b, y, _ = data["train"]
    xv, bv, yv, rv = data["validation"]
    everyday_v = [i for i, r in enumerate(rv) if r[2] in EVERYDAY_BENIGN]
    table, best, best_key = [], None, None
    for wd in WEIGHT_DECAYS:
        for bw in BASE_WEIGHTS:
            head = fit(x, b, y, bw, wd)
            p = probability(head, xv, bv)
            t = threshold_at(p[everyday_v], EVERYDAY_FPR)
            r = report(p, rv, t)
            key = r["all_attacks_recall"] - r["edgy_benign_fpr"]
            table.append({"weight_decay": wd, "base_weight": bw, "threshold": round(t, 4), **{k: v for k, v in r.items() if k != "flagged_by_source"}})
            print(table[-1], flush=True)
            if best_key is None or key > best_key:
                best, best_key = (head, t, wd, bw), key
    head, threshold, wd, bw = best
    xt, bt, yt, rt = data["test"]
    pt = probability(head, xt, bt)
    base_threshold = json.loads((BASE_DIR / "config.json").read_text())["recommended_threshold"] if BASE_DIR.exists() else None
    metrics = {
        "chosen_on_validation": {"weight_decay": wd, "base_weight": bw, "threshold": round(threshold, 4),
                                 "rule": f"threshold keeps validation everyday-benign false positives <= {EVERYDAY_FPR}; choice maximises validation attack recall minus edgy-benign FPR"},
        "validation_table": table,
        "test_blend": report(pt, rt, threshold),
        "test_base_model_alone_at_its_threshold": report(bt[:, 0], rt, base_threshold) if base_threshold is not None else None,
        "test_survival": survival(head, threshold, rt, pt),
        "train_rows": len(sample),
    }
    print(json.dumps({k: v for k, v in metrics.items() if k != "validation_table"}, indent=1), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(head, (torch.from_numpy(xt[:2]), torch.from_numpy(bt[:2])), str(OUT / "model.onnx"),
                      input_names=["embedding", "base_score"], output_names=["logits"],
                      dynamic_axes={"embedding": {0: "n"}, "base_score": {0: "n"}, "logits": {0: "n"}}, opset_version=13)
    with torch.no_grad():
        parity = head(torch.from_numpy(xt[:3]), torch.from_numpy(bt[:3])).numpy()
    config = {
        "model_type": "switchyard-encoder-head",
        "id2label": {"0": "benign", "1": "jailbreak"},
        "switchyard_head": {"encoder": "use-lite", "dimensions": 512, "base_model": "jailbreak",
                            "inputs": "embedding [n, 512] (USE-Lite); base_score [n, 1] (models/jailbreak raw windowed score)"},
        "recommended_threshold": round(threshold, 6),
        "parity_check": [{"embedding": [round(float(v), 7) for v in xt[i]], "base_score": [round(float(bt[i, 0]), 7)],
                          "logits": [round(float(v), 5) for v in parity[i]]} for i in range(3)],
        "metrics": metrics,
    }
    (OUT / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
