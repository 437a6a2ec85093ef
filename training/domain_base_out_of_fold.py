"""Out-of-fold probabilities of the bundled domain model (models/domain) on its validation fold, for stacking.

    /usr/bin/python3 training/domain_base_out_of_fold.py    # recomputes (after train_domain.py); train-all.sh runs it
    fold1_probabilities()                                    # imported: the cached result, computed if missing

models/domain is trained on every fold but the held-out one, so its probabilities on MMLU fold 1 are those of
a model that saw those questions. The domain head's stacker must learn how far to trust the base model from
rows it did not see: this retrains train_domain.py's run 1 (folds 2-4 only, same seed and settings) and blends
its parts with the shipped model's blend (models/domain/config.json), giving the probabilities the shipped
model would give a question it never saw. Cached in training/.cache/domain-base-fold1.npz (keyed by text).
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

CACHE = HERE / ".cache" / "domain-base-fold1.npz"


def fold1_probabilities():
    """{question text: raw probabilities [14]} for domain_data's validation questions (question only)."""
    if CACHE.exists():
        z = np.load(CACHE, allow_pickle=False)
        return dict(zip(z["texts"].tolist(), z["probabilities"]))
    torch.set_num_threads(1)
    root = HERE.parent
    config = json.loads((root / "models" / "domain" / "config.json").read_text())
    blend = config["blend"]
    sentence_model = load_sentence_model(str(root / "models" / "embedder"))
    labels, _, split = domain_data.load()
    sources = sorted({e.source for part in ("train", "validation") for e in split[part]})
    train = train_domain.Features(split["train"], sentence_model)
    model = train_domain.fit(train, split["train"], labels, sources, train_domain.SEED)
    memory, memory_labels = train_domain.knn_memory(train, split["train"], labels)
    sparse = train_domain.fit_sparse(train, split["train"], labels)
    questions = split["validation_questions"]
    features = train_domain.Features(questions, sentence_model)
    linear, votes, scores = train_domain.part_probabilities(model, memory, memory_labels, sparse, features, len(questions))
    sparse_p = torch.softmax(torch.from_numpy(scores) * blend["sparse_temperature"], dim=1).numpy()
    probabilities = (blend["linear"] * linear + blend["knn"] * votes + blend["sparse"] * sparse_p).astype(np.float32)
    y = np.array([labels.index(e.category) for e in questions])
    print(f"out-of-fold base model, fold 1 top-1 {float((probabilities.argmax(1) == y).mean()):.4f} ({len(y)} questions)", flush=True)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, texts=np.array([e.text for e in questions]), probabilities=probabilities)
    return dict(zip([e.text for e in questions], probabilities))


if __name__ == "__main__":
    CACHE.unlink(missing_ok=True)
    fold1_probabilities()
