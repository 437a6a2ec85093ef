"""The domain classifier's data: MMLU-Pro (14 categories) plus original MMLU mapped onto them.

Held out and never trained on: MMLU-Pro questions whose FNV-1a(question_id) % 5 == 0, and every MMLU
prompt whose normalised question matches one of them (MMLU-Pro reuses many MMLU questions).
Validation (carved from the training side, used only to choose the epoch count and the kNN blend):
MMLU-Pro questions whose FNV-1a(question_id) % 5 == 1, and the MMLU prompts matching them.

Every example also carries its fine-grained source (MMLU-Pro `src`, or `ori_mmlu-<subject>` for MMLU),
which the trainer predicts as an auxiliary target: 91 sources map onto the 14 categories one to one.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass

import corpora
from text_features import fnv1a, tokenize


@dataclass(frozen=True)
class Example:
    text: str
    category: str
    source: str
    # Question text without options: the kNN memory holds only these.
    question_only: bool


def is_held_out(row):
    return fnv1a(str(row["question_id"])) % 5 == 0


def is_validation(row):
    return fnv1a(str(row["question_id"])) % 5 == 1


def _key(text):
    return " ".join(tokenize(text))[:80]


def with_options(question, options):
    return question + "\n" + "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(options))


def load():
    """Returns (labels, sources, split) where split maps "train", "validation", "validation_questions" (the MMLU-Pro
    validation questions to score), "held_out_questions" and "held_out_with_options" to lists of
    Example. "train" excludes validation; the final model trains on train + validation."""
    rows = corpora.mmlu_pro()
    labels = sorted({r["category"] for r in rows})
    votes = defaultdict(Counter)
    for r in rows:
        if r["src"].startswith("ori_mmlu-"):
            votes[r["src"][len("ori_mmlu-"):]][r["category"]] += 1
    subject_to_category = {s: c.most_common(1)[0][0] for s, c in votes.items()}
    held_keys = {_key(r["question"]) for r in rows if is_held_out(r)}
    validation_keys = {_key(r["question"]) for r in rows if is_validation(r)}
    split = {"train": [], "validation": [], "validation_questions": [], "held_out_questions": [],
             "held_out_with_options": []}
    for r in rows:
        question = Example(r["question"], r["category"], r["src"], True)
        options = Example(with_options(r["question"], r["options"]), r["category"], r["src"], False)
        if is_held_out(r):
            split["held_out_questions"].append(question)
            split["held_out_with_options"].append(options)
        else:
            split["validation" if is_validation(r) else "train"] += [question, options]
            if is_validation(r):
                split["validation_questions"].append(question)
    for x in corpora.routellm_mmlu():
        question = x["prompt"].split("\nA.")[0]
        category = subject_to_category.get(x["subject"])
        key = _key(question)
        if category is None or key in held_keys:
            continue
        source = "ori_mmlu-" + x["subject"]
        pair = [Example(question, category, source, True),
                Example(x["prompt"].removesuffix("Answer:").strip(), category, source, False)]
        split["validation" if key in validation_keys else "train"] += pair
    sources = sorted({e.source for part in ("train", "validation") for e in split[part]})
    return labels, sources, split
