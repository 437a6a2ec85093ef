"""Out-of-fold probabilities of the bundled domain model (models/domain) on its training folds, for stacking.

    /usr/bin/python3 training/domain_base_out_of_fold.py    # recomputes folds 1-4 (after train_domain.py); train-all.sh runs it
    out_of_fold_probabilities()                              # imported: the cached result, computed if missing

models/domain is trained on every fold but the held-out one (fold 0), so its probabilities on a training question
are those of a model that saw it. The domain head must learn how far to trust the base model from probabilities
it would give a question it never saw: for each training fold k (1-4) this retrains train_domain.py's model on the
other three training folds (same seed and settings, question-only and with-options rows alike) and blends its parts
with the shipped model's blend (models/domain/config.json). Fold k's question-only texts (MMLU-Pro and MMLU) are then
scored by a model that never saw them. Cached per fold in training/.cache/domain-base-oof-fold<k>.npz (keyed by text).
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import domain_data  # noqa: E402
import train_domain  # noqa: E402
from embedder_model import load_sentence_model  # noqa: E402

TRAINING_FOLDS = (1, 2, 3, 4)


def _cache(k):
    return HERE / ".cache" / f"domain-base-oof-fold{k}.npz"


def _paired_folds(examples):
    """Fold of each example: domain_data appends every question as a (question-only, with-options) pair."""
    assert all(examples[i].question_only and not examples[i + 1].question_only for i in range(0, len(examples), 2))
    return [domain_data.fold(examples[i - i % 2].text) for i in range(len(examples))]


def fold_probabilities(k):
    """{question text: raw probabilities [14]} for the distinct question-only texts of training fold k."""
    if _cache(k).exists():
        z = np.load(_cache(k), allow_pickle=False)
        return dict(zip(z["texts"].tolist(), z["probabilities"]))
    torch.set_num_threads(1)
    root = HERE.parent
    blend = json.loads((root / "models" / "domain" / "config.json").read_text())["blend"]
    sentence_model = load_sentence_model(str(root / "models" / "embedder"))
    labels, _, split = domain_data.load()
    examples = split["train"] + split["validation"]
    folds = _paired_folds(examples)
    train = [e for e, f in zip(examples, folds) if f != k]
    scored = list({e.text: e for e, f in zip(examples, folds) if f == k and e.question_only}.values())
    sources = sorted({e.source for e in examples})
    features = train_domain.Features(train, sentence_model)
    model = train_domain.fit(features, train, labels, sources, train_domain.SEED)
    memory, memory_labels = train_domain.knn_memory(features, train, labels)
    sparse = train_domain.fit_sparse(features, train, labels)
    scored_features = train_domain.Features(scored, sentence_model)
    linear, votes, scores = train_domain.part_probabilities(model, memory, memory_labels, sparse, scored_features, len(scored))
    sparse_p = torch.softmax(torch.from_numpy(scores) * blend["sparse_temperature"], dim=1).numpy()
    probabilities = (blend["linear"] * linear + blend["knn"] * votes + blend["sparse"] * sparse_p).astype(np.float32)
    y = np.array([labels.index(e.category) for e in scored])
    print(f"out-of-fold base model, fold {k} top-1 {float((probabilities.argmax(1) == y).mean()):.4f} ({len(y)} questions)", flush=True)
    _cache(k).parent.mkdir(parents=True, exist_ok=True)
    np.savez(_cache(k), texts=np.array([e.text for e in scored]), probabilities=probabilities)
    return dict(zip([e.text for e in scored], probabilities))


def out_of_fold_probabilities():
    """{question text: raw probabilities [14]} for every distinct question-only training text, each out of fold."""
    out = {}
    for k in TRAINING_FOLDS:
        out.update(fold_probabilities(k))
    return out


if __name__ == "__main__":
    for k in (int(a) for a in sys.argv[1:]) if len(sys.argv) > 1 else TRAINING_FOLDS:
        _cache(k).unlink(missing_ok=True)
        fold_probabilities(k)
