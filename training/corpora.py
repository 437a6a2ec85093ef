"""Readers for the public data under ../shared/data (see each folder's SOURCE.md for licences)."""
import json
import os
from pathlib import Path

DATA = Path(os.environ.get("SWITCHYARD_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def jsonl(path):
    # Split on "\n" only: one arena-hard prompt holds a raw U+2028.
    with open(DATA / path, encoding="utf-8", newline="") as f:
        return [json.loads(line) for line in f.read().split("\n") if line.strip()]


def mmlu_pro():
    """MMLU-Pro rows (question, options, category, question_id, models_correct_ratio, src)."""
    return jsonl("mmlu-pro/mmlu_pro_test.jsonl")


def routellm_mmlu():
    """Original MMLU prompts (question + lettered options + 'Answer:') with their subject."""
    return jsonl("routellm-evals/mmlu_responses.jsonl")


def prompt_texts():
    """A broad mix of user-style prompts: the embedder's vocabulary and common component come from it."""
    texts = [r["question"] for r in mmlu_pro()]
    texts += [r["prompt"].split("\nA.")[0] for r in routellm_mmlu()]
    texts += [r["question"] for r in jsonl("gsm8k/train.jsonl")]
    texts += [r["question"] for r in jsonl("nq-open/NQ-open.dev.jsonl")]
    texts += [r["text"] for r in jsonl("mbpp/mbpp.jsonl")]
    texts += [r["problem"] for r in jsonl("math500/math500.jsonl")]
    texts += [r["instruction"] for r in jsonl("self-instruct-user-oriented/user_oriented_instructions.jsonl")]
    texts += [r["prompt"] for r in jsonl("ifeval/input_data.jsonl")]
    texts += [r["prompt"] for r in jsonl("arena-hard/arena_hard_v2.0_question.jsonl")]
    texts += [t for r in jsonl("mt-bench/mt_bench_question.jsonl") for t in r["turns"]]
    with open(DATA / "clinc150/data_full.json", encoding="utf-8") as f:
        texts += [q for q, _ in json.load(f)["train"]]
    with open(DATA / "conala/conala-train.json", encoding="utf-8") as f:
        texts += [r["intent"] for r in json.load(f)]
    return texts
