"""Trains the jailbreak encoder head: a small network on Universal Sentence Encoder Lite vectors, stacked
with the windowed n-gram jailbreak model (models/jailbreak) as a cheap feature.

    /usr/bin/python3 training/jailbreak/train_jailbreak.py --out models/jailbreak-head/base --skip-source-holdout
    /usr/bin/python3 training/jailbreak/train_jailbreak_head.py      # needs npx tsx; --base DIR --out DIR to change

The base (default models/jailbreak-head/base) must be trained on jailbreak_data's grouped split, so that no
validation or test row was seen by the base either (the shipped models/jailbreak was trained on a random row split
and saw many of them). The head goes to models/jailbreak-head and names its base by a relative path; the jailbreak
signal runs it when a rule's model_path points at that folder.

Why stacked: the windowed n-gram model finds jailbreak wording anywhere in a long prompt (the maximum over
sentence windows), the encoder head recognises harmful intent without jailbreak vocabulary, but the encoder
reads only the first 128 tokens and an appended paragraph dilutes its mean. The blend is
    z = logit(base_score) + head_weight * max(0, head_logit(embedding))
and a text is flagged when z >= threshold_logit. The head only adds evidence (its term is floored at 0, fixed,
not tuned): without the floor, a benign paragraph around an attack pulled the head far below zero and only 66%
(appended) / 35% (prepended) of test detections survived, against 98% for the windowed model alone.

Graph (ONNX, src/signals/jailbreak/jailbreak-encoder-head.ts):
  embedding   float [n, 512]  USE-Lite vector of the text (its first 128 tokens; shared per request)
  base_score  float [n, 1]    the base model's raw windowed score (max over the text and its windows)
  output `score` [n]: sigmoid(z)

Cascade: the head's term lies in [head_term_range] (0 to its maximum over the training and validation rows), so when
logit(base) + max(term) < threshold_logit the text cannot be flagged, and when logit(base) + min(term) >=
threshold_logit it is flagged whatever the encoder says; only texts in between run the encoder. The agreement
of cascaded and full decisions and the share of texts that ran the encoder are measured on test rows.

Data: jailbreak_data's grouped split, every training row (classes weigh the same; inside a class each source
weighs 1/sqrt(rows), as for the base). Head kind, L2 strength and head_weight are chosen on validation rows only:
the threshold is the lowest keeping validation everyday-benign false positives <= 1% and edgy-benign <= 5%,
and the choice maximises validation attack recall. The test split is scored once.
"""
import argparse
import json
import os
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

SEED = 5
# (kind, hidden units, weight decay); chosen on validation.
HEADS = (("linear", 0, 1e-4), ("linear", 0, 1e-3), ("mlp", 256, 1e-4), ("mlp", 256, 1e-3))
HEAD_WEIGHTS = (0.25, 0.5, 1.0, 2.0, 4.0)
EVERYDAY_FPR = 0.01
EDGY_FPR = 0.05


def base_scores(texts, base_dir):
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(texts), encoding="utf-8")
        subprocess.run(["npx", "tsx", "training/dump-classifier-scores.ts", "jailbreak", str(src), str(dst), str(base_dir)], cwd=ROOT, check=True)
        return np.asarray(json.loads(dst.read_text()), dtype=np.float32)


def cached_base_scores(texts, base_dir, cache):
    """Base scores through the TS runtime, memoised per base folder (the runtime is slow to start and score)."""
    path = cache / f"base-scores-{base_dir.resolve().relative_to(ROOT).as_posix().replace('/', '-')}.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        known.update(zip(missing, base_scores(missing, base_dir)[:, 0].tolist()))
        path.write_text(json.dumps(known))
    return np.asarray([[known[t]] for t in texts], dtype=np.float32)


class Head(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(512, hidden), nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden, 1)) if hidden else nn.Linear(512, 1)

    def forward(self, embedding):
        return self.net(embedding)[:, 0]


class Stacked(nn.Module):
    """The exported graph: sigmoid(logit(base) + head_weight * head(embedding))."""

    def __init__(self, head, head_weight):
        super().__init__()
        self.head = head
        self.head_weight = head_weight

    def forward(self, embedding, base_score):
        p = base_score[:, 0].clamp(1e-6, 1 - 1e-6)
        return torch.sigmoid(torch.log(p / (1 - p)) + self.head_weight * torch.relu(self.head(embedding)))


def row_weights(rows):
    """Classes weigh the same; inside a class each source weighs 1/sqrt(rows)."""
    count = defaultdict(int)
    for r in rows:
        count[r[2]] += 1
    w = np.asarray([1 / np.sqrt(count[r[2]]) for r in rows])
    y = np.asarray([r[1] for r in rows])
    for label in (0, 1):
        w[y == label] /= w[y == label].sum()
    return (w * len(rows) / 2).astype(np.float32)


def fit(x, y, w, hidden, weight_decay, epochs=30):
    torch.manual_seed(SEED)
    head = Head(hidden)
    opt = torch.optim.Adam(head.parameters(), lr=2e-3 if hidden else 1e-2, weight_decay=weight_decay)
    xt, yt, wt = torch.from_numpy(x), torch.from_numpy(y.astype(np.float32)), torch.from_numpy(w)
    g = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        head.train()
        for idx in torch.randperm(len(xt), generator=g).split(128):
            opt.zero_grad()
            loss = (nn.functional.binary_cross_entropy_with_logits(head(xt[idx]), yt[idx], reduction="none") * wt[idx]).mean()
            loss.backward()
            opt.step()
    return head.eval()


@torch.no_grad()
def head_logits(head, x):
    """The head's stacked term before its weight: floored at 0, so the head never vetoes the windowed model."""
    return np.maximum(head(torch.from_numpy(x)).numpy(), 0.0)


def logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def threshold_for(z, rows):
    """Lowest threshold keeping everyday-benign FPR <= 1% and edgy-benign FPR <= 5% on these rows."""
    t = -np.inf
    for sources, fpr in ((EVERYDAY_BENIGN, EVERYDAY_FPR), (EDGY_BENIGN, EDGY_FPR)):
        s = np.sort(z[[i for i, r in enumerate(rows) if r[2] in sources and r[1] == 0]])[::-1]
        allowed = int(np.floor(fpr * len(s)))
        if allowed < len(s):
            t = max(t, float(s[allowed]) + 1e-6)
    return t


def report(flagged, rows):
    out = {}
    for name, sources, label in (("everyday_benign_fpr", EVERYDAY_BENIGN, 0), ("edgy_benign_fpr", EDGY_BENIGN, 0),
                                 ("harmful_requests_recall", HARMFUL_REQUESTS, 1)):
        idx = [i for i, r in enumerate(rows) if r[2] in sources and r[1] == label]
        out[name] = round(float(flagged[idx].mean()), 4) if idx else None
    out["all_attacks_recall"] = round(float(flagged[[i for i, r in enumerate(rows) if r[1] == 1]].mean()), 4)
    out["all_benign_fpr"] = round(float(flagged[[i for i, r in enumerate(rows) if r[1] == 0]].mean()), 4)
    by_source = defaultdict(list)
    for i, r in enumerate(rows):
        by_source[(r[2], r[1])].append(flagged[i])
    out["flagged_by_source"] = {s: {"label": y, "rows": len(v), "flagged": round(float(np.mean(v)), 4)} for (s, y), v in sorted(by_source.items())}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=str(ROOT / "models" / "jailbreak-head" / "base"))
    parser.add_argument("--out", default=str(ROOT / "models" / "jailbreak-head"))
    args = parser.parse_args()
    base_dir, out_dir = Path(args.base), Path(args.out)
    cache = ROOT / "training" / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    groups = {}
    rows = jailbreak_data.load_rows(groups)
    train, val, test, _ = jailbreak_data.split_rows(rows, groups)
    data = {}
    for name, part in (("train", train), ("validation", val), ("test", test)):
        texts = [r[0] for r in part]
        print(name, len(part), flush=True)
        data[name] = (embed_cached(texts), cached_base_scores(texts, base_dir, cache), np.asarray([r[1] for r in part]), part)
    x, _, y, rt = data["train"]
    xv, bv, yv, rv = data["validation"]
    w = row_weights(rt)
    table, best = [], None
    base_t = threshold_for(logit(bv[:, 0]), rv)
    base_val = report(logit(bv[:, 0]) >= base_t, rv)
    table.append({"head": "none (base alone)", "threshold_logit": round(base_t, 4), **{k: v for k, v in base_val.items() if k != "flagged_by_source"}})
    print(table[-1], flush=True)
    for kind, hidden, wd in HEADS:
        head = fit(x, y, w, hidden, wd)
        hv = head_logits(head, xv)
        for hw in HEAD_WEIGHTS + ("head alone",):
            z = head(torch.from_numpy(xv)).detach().numpy() if hw == "head alone" else logit(bv[:, 0]) + hw * hv
            t = threshold_for(z, rv)
            r = report(z >= t, rv)
            table.append({"head": kind, "hidden": hidden, "weight_decay": wd, "head_weight": hw, "threshold_logit": round(t, 4),
                          **{k: v for k, v in r.items() if k != "flagged_by_source"}})
            print(table[-1], flush=True)
            if hw != "head alone" and (best is None or r["all_attacks_recall"] > best[0]):
                best = (r["all_attacks_recall"], head, hw, t, kind, hidden, wd)
    _, head, hw, t, kind, hidden, wd = best
    xt, bt, yt, rtest = data["test"]
    z_test = logit(bt[:, 0]) + hw * head_logits(head, xt)
    flagged = z_test >= t
    term = hw * np.concatenate([head_logits(head, x), head_logits(head, xv)])
    low, high = float(term.min()), float(term.max())
    # Cascade on test rows: the encoder runs only when the base alone cannot settle the decision.
    lb = logit(bt[:, 0])
    undecided = (lb + high >= t) & (lb + low < t)
    cascaded = np.where(undecided, flagged, lb + low >= t)
    survival = {}
    rng = random.Random(SEED)
    pool = [r[0] for r in rtest if r[1] == 0 and 30 <= len(r[0].split()) <= 120]
    detected = [r[0] for r, f in zip(rtest, flagged) if r[1] == 1 and f]
    for name, make in (("append_benign_paragraph", lambda s: s + "\n\n" + rng.choice(pool)),
                       ("prepend_benign_paragraph", lambda s: rng.choice(pool) + "\n\n" + s)):
        texts = [make(s) for s in detected]
        zs = logit(cached_base_scores(texts, base_dir, cache)[:, 0]) + hw * head_logits(head, embed_cached(texts))
        survival[name] = round(float((zs >= t).mean()), 4)
    survival["detected_test_attacks"] = len(detected)
    base_test = report(logit(bt[:, 0]) >= base_t, rtest)
    metrics = {
        "chosen_on_validation": {"head": kind, "hidden": hidden, "weight_decay": wd, "head_weight": hw, "threshold_logit": round(t, 4),
                                 "rule": f"threshold = lowest keeping validation everyday-benign FPR <= {EVERYDAY_FPR} and edgy-benign FPR <= {EDGY_FPR}; "
                                         "choice maximises validation attack recall"},
        "validation_table": table,
        "test": report(flagged, rtest),
        "test_base_alone_same_rule": {"threshold_logit": round(base_t, 4), **base_test},
        "test_survival": survival,
        "test_cascade": {"encoder_runs_share": round(float(undecided.mean()), 4), "decisions_equal_to_full": round(float((cascaded == flagged).mean()), 5)},
        "rows": {"train": len(rt), "validation": len(rv), "test": len(rtest)},
    }
    print(json.dumps({k: v for k, v in metrics.items() if k != "validation_table"}, indent=1), flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    stacked = Stacked(head, hw).eval()
    torch.onnx.export(stacked, (torch.from_numpy(xt[:2]), torch.from_numpy(bt[:2])), str(out_dir / "model.onnx"),
                      input_names=["embedding", "base_score"], output_names=["score"],
                      dynamic_axes={"embedding": {0: "n"}, "base_score": {0: "n"}, "score": {0: "n"}}, opset_version=13)
    with torch.no_grad():
        parity = stacked(torch.from_numpy(xt[:3]), torch.from_numpy(bt[:3])).numpy()
    config = {
        "model_type": "switchyard-jailbreak-encoder-head",
        "id2label": {"0": "benign", "1": "jailbreak"},
        "switchyard_head": {"encoder": "use-lite", "dimensions": 512, "base_model": os.path.relpath(base_dir, out_dir),
                            "head_term_range": [round(low, 5), round(high, 5)], "threshold_logit": round(t, 6)},
        "recommended_threshold": round(float(1 / (1 + np.exp(-t))), 6),
        "parity_check": [{"text": rtest[i][0], "base_score": round(float(bt[i, 0]), 7), "score": round(float(parity[i]), 6)} for i in range(3)],
        "metrics": metrics,
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    print("wrote", out_dir)


if __name__ == "__main__":
    main()
