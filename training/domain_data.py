"""The domain classifier's data: MMLU-Pro (14 categories) plus original MMLU mapped onto them.

Questions are deduplicated before splitting: the split is a hash of the normalised question (its first
80 characters of lower-cased tokens, `split_key`), not of the row id, so MMLU-Pro's repeated questions
(the same text under several question ids) and the MMLU prompts MMLU-Pro reuses all land on one side.
Held out and never trained on: questions whose FNV-1a(split_key) % 5 == 0 (one row per key).
Validation (carved from the training side, used only to choose the epoch count and the kNN blend):
FNV-1a(split_key) % 5 == 1. The TypeScript check (training/evaluate-domain.ts) applies the same rule.

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


def split_key(text):
    return " ".join(tokenize(text))[:80]


def fold(text):
    """0 = held out, 1 = validation, 2..4 = train."""
    return fnv1a(split_key(text)) % 5


def is_held_out(row):
    return fold(row["question"]) == 0


def is_validation(row):
    return fold(row["question"]) == 1


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
    held_seen = set()
    split = {"train": [], "validation": [], "validation_questions": [], "held_out_questions": [],
             "held_out_with_options": []}
    for r in rows:
        question = Example(r["question"], r["category"], r["src"], True)
        options = Example(with_options(r["question"], r["options"]), r["category"], r["src"], False)
        if is_held_out(r):
            # One scored row per question: repeated questions would count twice.
            if split_key(r["question"]) in held_seen:
                continue
            held_seen.add(split_key(r["question"]))
            split["held_out_questions"].append(question)
            split["held_out_with_options"].append(options)
        else:
            split["validation" if is_validation(r) else "train"] += [question, options]
            if is_validation(r):
                split["validation_questions"].append(question)
    for x in corpora.routellm_mmlu():
        question = x["prompt"].split("\nA.")[0]
        category = subject_to_category.get(x["subject"])
        if category is None or fold(question) == 0:
            continue
        source = "ori_mmlu-" + x["subject"]
        pair = [Example(question, category, source, True),
                Example(x["prompt"].removesuffix("Answer:").strip(), category, source, False)]
        split["validation" if fold(question) == 1 else "train"] += pair
    sources = sorted({e.source for part in ("train", "validation") for e in split[part]})
    return labels, sources, split
