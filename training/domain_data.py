"""The domain classifier's data: MMLU-Pro (14 categories) plus original MMLU mapped onto them.

Held out and never trained on: MMLU-Pro questions whose FNV-1a(question_id) % 5 == 0, and every MMLU
prompt whose normalised question matches one of them (MMLU-Pro reuses many MMLU questions).
"""
from collections import Counter, defaultdict

import corpora
from text_features import fnv1a, tokenize


def is_held_out(row):
    return fnv1a(str(row["question_id"])) % 5 == 0


def _key(text):
    return " ".join(tokenize(text))[:80]


def with_options(question, options):
    return question + "\n" + "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(options))


def load():
    """Returns (labels, train, held_out_questions, held_out_with_options); examples are (text, label)."""
    rows = corpora.mmlu_pro()
    labels = sorted({r["category"] for r in rows})
    votes = defaultdict(Counter)
    for r in rows:
        if r["src"].startswith("ori_mmlu-"):
            votes[r["src"][len("ori_mmlu-"):]][r["category"]] += 1
    subject_to_category = {s: c.most_common(1)[0][0] for s, c in votes.items()}
    held = [r for r in rows if is_held_out(r)]
    held_keys = {_key(r["question"]) for r in held}
    train = []
    for r in rows:
        if not is_held_out(r):
            train.append((r["question"], r["category"]))
            train.append((with_options(r["question"], r["options"]), r["category"]))
    for x in corpora.routellm_mmlu():
        question = x["prompt"].split("\nA.")[0]
        category = subject_to_category.get(x["subject"])
        if category is not None and _key(question) not in held_keys:
            train.append((question, category))
            train.append((x["prompt"].removesuffix("Answer:").strip(), category))
    held_questions = [(r["question"], r["category"]) for r in held]
    held_options = [(with_options(r["question"], r["options"]), r["category"]) for r in held]
    return labels, train, held_questions, held_options
