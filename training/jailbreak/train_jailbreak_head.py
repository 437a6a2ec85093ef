"""Trains the jailbreak encoder head: a small network on Universal Sentence Encoder Lite vectors of the text and of
its first and last paragraphs, stacked with the windowed n-gram jailbreak model (models/jailbreak recipe) as a
cheap feature, calibrated on validation rows.

    /usr/bin/python3 training/jailbreak/train_jailbreak.py --out models/jailbreak-head/base --skip-source-holdout
    /usr/bin/python3 training/jailbreak/train_jailbreak_head.py      # needs npx tsx; --base DIR --out DIR to change

The base (default models/jailbreak-head/base) must be trained on jailbreak_data's grouped split, so that no
validation or test row was seen by the base either. The head goes to models/jailbreak-head and names its base by
a relative path; the jailbreak signal runs it when a rule's model_path points at that folder.

Why stacked: the windowed n-gram model finds jailbreak wording anywhere in a long prompt (the maximum over
sentence windows), the encoder head recognises harmful intent without jailbreak vocabulary.

Why windows: the encoder reads only the first 128 tokens and mean-pools them, so a benign paragraph appended to
a short attack dilutes it, and a long one prepended hides it. The head therefore scores the text and, when it has
two or more paragraphs (blank-line separated), its first and last paragraph too, and keeps the highest logit
(encoder_windows; src/signals/jailbreak/jailbreak-encoder-head.ts mirrors it). Training uses the same maximum
(multiple-instance: a benign text's every window is a negative; an attack needs one attack-like window).

Score: z = base_weight * logit(base_score) + head_weight * max(-head_floor, max over windows of head(e_w)),
flagged when z >= threshold_logit. Reported probability sigmoid(a z + b), a and b fitted on validation rows with
the classes weighing the same (Platt), so recommended_threshold = sigmoid(a threshold_logit + b).

Graph (ONNX): embedding float [n, 512] -> head_logit [n] (the head alone; the runtime does the windows' maximum,
the blend and the calibration, which are in config.json's switchyard_head).

Cascade: the head's term lies in head_term_range (over the training and validation rows), so when
base_weight * logit(base) + max(term) < threshold_logit the text cannot be flagged, and when + min(term) reaches it
it is flagged whatever the encoder says; only texts in between run the encoder.

Data: jailbreak_data's grouped split (the edgy-benign hard negatives' training rows are training rows; their
validation and test rows stay held out). Classes weigh the same; inside a class each source 1/sqrt(rows), the
edgy-benign sources times edgy_weight. Head kind, weight decay, edgy_weight, base_weight, head_weight and
head_floor are chosen on validation rows only: the threshold is the lowest keeping validation everyday-benign
false positives <= 1% and edgy-benign <= 5%, and the choice maximises validation attack recall among the settings
whose validation detections survive an appended and a prepended benign paragraph >= 95% of the time. The test
split is scored once.
"""
import argparse
import json
import os
import random
import re
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
# (kind, hidden units, weight decay); chosen on validation. A first run also tried a linear head (wd 1e-3),
# the 256-unit MLP at wd 1e-3 and edgy_weight 1: each lost on validation attack recall (MODEL_CARD.md).
HEADS = (("mlp", 256, 1e-4), ("mlp", 512, 1e-4))
EDGY_WEIGHTS = (3.0, 10.0)
BASE_WEIGHTS = (0.5, 1.0)
HEAD_WEIGHTS = (0.5, 1.0, 2.0, 4.0)
HEAD_FLOORS = (0.0, 2.0, 1e6)  # 1e6: no floor
EVERYDAY_FPR = 0.01
EDGY_FPR = 0.05
MIN_SURVIVAL = 0.95
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r]*\n")
WINDOWS = 3


def encoder_windows(text):
    """The texts the head scores: the text itself, then its first and last paragraph when it has two or more."""
    paragraphs = [p.strip(" \t\r\n") for p in PARAGRAPH_BREAK.split(text)]
    paragraphs = [p for p in paragraphs if p]
    if len(paragraphs) < 2:
        return [text]
    return list(dict.fromkeys([text, paragraphs[0], paragraphs[-1]]))


def window_embeddings(texts):
    """[n, WINDOWS, 512] vectors (zero-padded) and [n, WINDOWS] mask of each text's encoder windows."""
    windows = [encoder_windows(t) for t in texts]
    flat = [w for ws in windows for w in ws]
    vectors = embed_cached(flat)
    e = np.zeros((len(texts), WINDOWS, 512), np.float32)
    mask = np.zeros((len(texts), WINDOWS), bool)
    k = 0
    for i, ws in enumerate(windows):
        e[i, :len(ws)] = vectors[k:k + len(ws)]
        mask[i, :len(ws)] = True
        k += len(ws)
    return e, mask


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
    return np.asarray([known[t] for t in texts], dtype=np.float32)


class Head(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(512, hidden), nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden, 1)) if hidden else nn.Linear(512, 1)

    def forward(self, embedding):
        return self.net(embedding)[:, 0]


def pooled(head, e, mask):
    """The highest head logit over each text's windows."""
    n = e.shape[0]
    logits = head(e.reshape(n * WINDOWS, 512)).reshape(n, WINDOWS)
    return logits.masked_fill(~mask, -1e9).max(dim=1).values


def row_weights(rows, edgy_weight):
    """Classes weigh the same; inside a class each source weighs 1/sqrt(rows), edgy-benign sources times edgy_weight."""
    count = defaultdict(int)
    for r in rows:
        count[r[2]] += 1
    w = np.asarray([(edgy_weight if r[2] in EDGY_BENIGN else 1.0) / np.sqrt(count[r[2]]) for r in rows])
    y = np.asarray([r[1] for r in rows])
    for label in (0, 1):
        w[y == label] /= w[y == label].sum()
    return (w * len(rows) / 2).astype(np.float32)


def fit(e, mask, y, w, hidden, weight_decay, epochs=30):
    torch.manual_seed(SEED)
    head = Head(hidden)
    opt = torch.optim.Adam(head.parameters(), lr=2e-3 if hidden else 1e-2, weight_decay=weight_decay)
    et, mt, yt, wt = torch.from_numpy(e), torch.from_numpy(mask), torch.from_numpy(y.astype(np.float32)), torch.from_numpy(w)
    g = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        head.train()
        for idx in torch.randperm(len(et), generator=g).split(128):
            opt.zero_grad()
            loss = (nn.functional.binary_cross_entropy_with_logits(pooled(head, et[idx], mt[idx]), yt[idx], reduction="none") * wt[idx]).mean()
            loss.backward()
            opt.step()
    return head.eval()


@torch.no_grad()
def head_max(head, e, mask):
    return pooled(head, torch.from_numpy(e), torch.from_numpy(mask)).numpy()


def logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def blend(setting, base, hmax):
    return setting["base_weight"] * logit(base) + setting["head_weight"] * np.maximum(hmax, -setting["head_floor"])


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


class Padded:
    """Every attack row of a split with a benign paragraph (30-120 words, from the same split) appended and prepended."""

    def __init__(self, rows, base_dir, cache):
        rng = random.Random(SEED)
        pool = [r[0] for r in rows if r[1] == 0 and 30 <= len(r[0].split()) <= 120]
        self.attacks = [i for i, r in enumerate(rows) if r[1] == 1]
        self.variants = {}
        for name, make in (("append_benign_paragraph", lambda s: s + "\n\n" + rng.choice(pool)),
                           ("prepend_benign_paragraph", lambda s: rng.choice(pool) + "\n\n" + s)):
            texts = [make(rows[i][0]) for i in self.attacks]
            self.variants[name] = (cached_base_scores(texts, base_dir, cache), *window_embeddings(texts))

    def head_max(self, head):
        """name -> the head's highest window logit of each padded text."""
        return {name: head_max(head, e, m) for name, (_, e, m) in self.variants.items()}

    def survival(self, flagged, z_of, t):
        """Share of the split's detected attacks still flagged once padded, per padding; z_of(name, base scores)."""
        detected = flagged[self.attacks]
        out = {name: round(float((z_of(name, b)[detected] >= t).mean()), 4) if detected.any() else None
               for name, (b, _, _) in self.variants.items()}
        out["detected_attacks"] = int(detected.sum())
        return out


def platt(z, y):
    """a, b of sigmoid(a z + b) fitted to labels y, the classes weighing the same."""
    zt, yt = torch.tensor(z, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    w = torch.where(yt == 1, 0.5 / yt.mean(), 0.5 / (1 - yt.mean()))
    a, b = torch.ones((), dtype=torch.float64, requires_grad=True), torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([a, b], max_iter=200)

    def closure():
        opt.zero_grad()
        loss = (nn.functional.binary_cross_entropy_with_logits(a * zt + b, yt, reduction="none") * w).mean()
        loss.backward()
        return loss
    opt.step(closure)
    return float(a), float(b)


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
        data[name] = (*window_embeddings(texts), cached_base_scores(texts, base_dir, cache), np.asarray([r[1] for r in part]), part)
    e, m, _, y, rt = data["train"]
    ev, mv, bv, yv, rv = data["validation"]
    padded_val = Padded(rv, base_dir, cache)
    table, best = [], None
    base_t = threshold_for(logit(bv), rv)
    base_val = report(logit(bv) >= base_t, rv)
    table.append({"head": "none (base alone)", "threshold_logit": round(base_t, 4), **{k: v for k, v in base_val.items() if k != "flagged_by_source"},
                  "survival": padded_val.survival(logit(bv) >= base_t, lambda _name, b: logit(b), base_t)})
    print(table[-1], flush=True)
    for kind, hidden, wd in HEADS:
        for edgy_weight in EDGY_WEIGHTS:
            head = fit(e, m, y, row_weights(rt, edgy_weight), hidden, wd)
            hv, ph = head_max(head, ev, mv), padded_val.head_max(head)
            for bw in BASE_WEIGHTS:
                for hw in HEAD_WEIGHTS:
                    for floor in HEAD_FLOORS:
                        setting = {"head": kind, "hidden": hidden, "weight_decay": wd, "edgy_weight": edgy_weight,
                                   "base_weight": bw, "head_weight": hw, "head_floor": floor}
                        z = blend(setting, bv, hv)
                        t = threshold_for(z, rv)
                        r = report(z >= t, rv)
                        survival = padded_val.survival(z >= t, lambda name, b: blend(setting, b, ph[name]), t)
                        table.append({**setting, "threshold_logit": round(t, 4), **{k: v for k, v in r.items() if k != "flagged_by_source"}, "survival": survival})
                        print(table[-1], flush=True)
                        ok = min(survival["append_benign_paragraph"], survival["prepend_benign_paragraph"]) >= MIN_SURVIVAL
                        key = (ok, r["all_attacks_recall"])
                        if best is None or key > best[0]:
                            best = (key, head, setting, t)
    _, head, setting, t = best
    et, mt, bt, yt, rtest = data["test"]
    z_val = blend(setting, bv, head_max(head, ev, mv))
    a, b = platt(z_val, yv)
    z_test = blend(setting, bt, head_max(head, et, mt))
    flagged = z_test >= t
    term = setting["head_weight"] * np.maximum(np.concatenate([head_max(head, e, m), head_max(head, ev, mv)]), -setting["head_floor"])
    low, high = float(term.min()), float(term.max())
    # Cascade on test rows: the encoder runs only when the base alone cannot settle the decision.
    zb = setting["base_weight"] * logit(bt)
    undecided = (zb + high >= t) & (zb + low < t)
    cascaded = np.where(undecided, flagged, zb + low >= t)
    padded_test = Padded(rtest, base_dir, cache)
    pt = padded_test.head_max(head)
    survival = padded_test.survival(flagged, lambda name, pb: blend(setting, pb, pt[name]), t)
    base_test = report(logit(bt) >= base_t, rtest)
    prob_test = 1 / (1 + np.exp(-(a * z_test + b)))
    metrics = {
        "chosen_on_validation": {**setting, "threshold_logit": round(t, 4),
                                 "rule": f"threshold = lowest keeping validation everyday-benign FPR <= {EVERYDAY_FPR} and edgy-benign FPR <= {EDGY_FPR}; "
                                         f"choice maximises validation attack recall among settings whose validation detections survive padding >= {MIN_SURVIVAL}"},
        "calibration": {"method": "Platt on validation rows, classes weighing the same", "a": round(a, 6), "b": round(b, 6),
                        "test_mean_probability_by_label": {str(k): round(float(prob_test[yt == k].mean()), 4) for k in (0, 1)}},
        "validation_table": table,
        "test": report(flagged, rtest),
        "test_base_alone_same_rule": {"threshold_logit": round(base_t, 4), **base_test},
        "test_survival": survival,
        "test_cascade": {"encoder_runs_share": round(float(undecided.mean()), 4), "decisions_equal_to_full": round(float((cascaded == flagged).mean()), 5)},
        "test_windows": {"texts_with_paragraph_windows": round(float((mt.sum(axis=1) > 1).mean()), 4)},
        "rows": {"train": len(rt), "validation": len(rv), "test": len(rtest)},
    }
    print(json.dumps({k: v for k, v in metrics.items() if k != "validation_table"}, indent=1), flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(head, (torch.from_numpy(et[:2, 0]),), str(out_dir / "model.onnx"), input_names=["embedding"], output_names=["head_logit"],
                      dynamic_axes={"embedding": {0: "n"}, "head_logit": {0: "n"}}, opset_version=13)
    parity = [i for i in range(len(rtest)) if mt[i].sum() > 1][:1] + [0, 1]
    config = {
        "model_type": "switchyard-jailbreak-encoder-head",
        "id2label": {"0": "benign", "1": "jailbreak"},
        "switchyard_head": {"encoder": "use-lite", "dimensions": 512, "base_model": os.path.relpath(base_dir, out_dir),
                            "windows": "text, first and last paragraph", "base_weight": setting["base_weight"],
                            "head_weight": setting["head_weight"], "head_floor": setting["head_floor"],
                            "head_term_range": [round(low, 5), round(high, 5)], "threshold_logit": round(t, 6),
                            "calibration": {"a": round(a, 6), "b": round(b, 6)}},
        "recommended_threshold": round(float(1 / (1 + np.exp(-(a * t + b)))), 6),
        "parity_check": [{"text": rtest[i][0], "base_score": round(float(bt[i]), 7), "score": round(float(prob_test[i]), 6)} for i in parity],
        "metrics": metrics,
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    print("wrote", out_dir)


if __name__ == "__main__":
    main()
