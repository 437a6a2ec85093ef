"""The difficulty classifier's data: prompts labelled "hard" (worth the strong model) or "easy"
(a small local model answers them well), from public sets under ../shared/data.

hard: MATH-500 levels 3-5, ten multi-step BIG-Bench Hard tasks, MMLU-Pro questions that at most 15%
      of the 29 evaluated models answer correctly (question text only), Arena-Hard v2.0 math prompts
      (its coding and creative prompts are left out: long web and shell coding requests taught the
      model that any non-Python coding question is hard).
easy: GSM8K (train), MATH-500 levels 1-2, CLINC150 (train), NQ-open, CoNaLa (train intents), MBPP,
      Self-Instruct user-oriented, IFEval, the MT-Bench / Vicuna-bench everyday categories, and
      MMLU-Pro questions that at least 90% of the models answer correctly.

Every text whose normalised form (lower-cased tokens) appears in eval/routing.jsonl is dropped, so the
routing evaluation never scores a prompt the model was trained on. Of what is left, each source's rows
with FNV-1a(normalised text) % 5 == 0 are held out for the model card's accuracy and AUC.
"""
import json
import random
from dataclasses import dataclass
from pathlib import Path

import corpora
from text_features import fnv1a, tokenize

LABELS = ["easy", "hard"]
HARD_BBH_TASKS = [
    "formal_fallacies", "logical_deduction_five_objects", "logical_deduction_seven_objects",
    "tracking_shuffled_objects_five_objects", "tracking_shuffled_objects_seven_objects", "web_of_lies",
    "multistep_arithmetic_two", "dyck_languages", "temporal_sequences", "geometric_shapes",
]
EASY_MT_BENCH_CATEGORIES = {"writing", "roleplay", "extraction", "humanities", "generic", "knowledge", "common-sense"}
MMLU_PRO_HARD_MAX_RATIO = 0.15
MMLU_PRO_EASY_MIN_RATIO = 0.9
# Caps keep the big sources from drowning the small ones and the run short on two shared cores.
PER_SOURCE_CAP = 1500
PER_BBH_TASK_CAP = 80
SEED = 7


@dataclass(frozen=True)
class Example:
    text: str
    label: int
    source: str


def normalised(text):
    return " ".join(tokenize(text))


def is_held_out(text):
    return fnv1a(normalised(text)) % 5 == 0


def eval_keys(eval_path):
    with open(eval_path, encoding="utf-8") as f:
        return {normalised(json.loads(line)["text"]) for line in f.read().split("\n") if line.strip()}


def _capped(texts, cap, rng):
    texts = list(dict.fromkeys(t for t in texts if t and t.strip()))
    rng.shuffle(texts)
    return texts[:cap]


def _json(path):
    with open(corpora.DATA / path, encoding="utf-8") as f:
        return json.load(f)


def raw_sources(rng):
    """(source name, label, texts) for every source, before eval exclusion."""
    math500 = corpora.jsonl("math500/math500.jsonl")
    bbh = corpora.jsonl("bbh/bbh.jsonl")
    mmlu_pro = corpora.mmlu_pro()
    mt = corpora.jsonl("mt-bench/mt_bench_question.jsonl") + corpora.jsonl("mt-bench/vicuna_bench_question.jsonl")
    hard = [
        ("math500-level3-5", [r["problem"] for r in math500 if r["level"] >= 3]),
        ("bbh-hard-tasks", [t for task in HARD_BBH_TASKS
                            for t in _capped([r["input"] for r in bbh if r["task"] == task], PER_BBH_TASK_CAP, rng)]),
        ("mmlu-pro-rarely-solved", [r["question"] for r in mmlu_pro if r["models_correct_ratio"] <= MMLU_PRO_HARD_MAX_RATIO]),
        ("arena-hard-v2-math", [r["prompt"] for r in corpora.jsonl("arena-hard/arena_hard_v2.0_question.jsonl")
                                if r["subcategory"] == "math"]),
    ]
    easy = [
        ("gsm8k-train", [r["question"] for r in corpora.jsonl("gsm8k/train.jsonl")]),
        ("math500-level1-2", [r["problem"] for r in math500 if r["level"] <= 2]),
        ("clinc150-train", [q for q, _ in _json("clinc150/data_full.json")["train"]]),
        ("nq-open", [r["question"] for r in corpora.jsonl("nq-open/NQ-open.dev.jsonl")]),
        ("conala-train", [r["intent"] for r in _json("conala/conala-train.json")]),
        ("mbpp", [r["text"] for r in corpora.jsonl("mbpp/mbpp.jsonl")]),
        ("self-instruct", [r["instruction"] + ("\n" + r["instances"][0]["input"] if r["instances"] and r["instances"][0]["input"] else "")
                           for r in corpora.jsonl("self-instruct-user-oriented/user_oriented_instructions.jsonl")]),
        ("ifeval", [r["prompt"] for r in corpora.jsonl("ifeval/input_data.jsonl")]),
        ("mt-bench-everyday", [r["turns"][0] for r in mt if r["category"] in EASY_MT_BENCH_CATEGORIES]),
        ("mmlu-pro-mostly-solved", [r["question"] for r in mmlu_pro if r["models_correct_ratio"] >= MMLU_PRO_EASY_MIN_RATIO]),
    ]
    for label, sources in ((1, hard), (0, easy)):
        for name, texts in sources:
            yield name, label, _capped(texts, PER_SOURCE_CAP, rng)


def load(eval_path):
    """Returns (split, stats): split maps "train" and "held_out" to lists of Example; stats counts rows
    per source and how many were dropped for appearing in the routing evaluation."""
    rng = random.Random(SEED)
    excluded = eval_keys(eval_path)
    split = {"train": [], "held_out": []}
    stats = {}
    seen = set()
    for name, label, texts in raw_sources(rng):
        kept = dropped = 0
        for text in texts:
            key = normalised(text)
            if key in excluded:
                dropped += 1
                continue
            # A text in two sources (or both classes) would be trained on twice or contradict itself.
            if key in seen:
                continue
            seen.add(key)
            kept += 1
            split["held_out" if is_held_out(text) else "train"].append(Example(text, label, name))
        stats[name] = {"label": LABELS[label], "rows": kept, "dropped_as_in_routing_eval": dropped}
    return split, stats


if __name__ == "__main__":
    split, stats = load(Path(__file__).resolve().parents[1] / "eval" / "routing.jsonl")
    print(json.dumps(stats, indent=1), {k: len(v) for k, v in split.items()})
