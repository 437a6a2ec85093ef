"""Builds eval/domain-natural.jsonl: natural (non-exam) questions labelled with the 14 MMLU-Pro categories.

    /usr/bin/python3 eval/build_domain_eval.py [../shared/data]

The domain classifier is trained on exam questions only (MMLU-Pro, MMLU). This file measures it on
the questions users send instead. Labels come from hand rules over each source's own metadata
(listed in SOURCE_RULES and HAND_LABELS below and in models/domain/MODEL_CARD.md); rows whose source
metadata names no MMLU-Pro subject (writing, role-play, chit-chat, account commands) are left out.
`accept` lists every label counted correct (one, except where a rule names two).

Split: half of every source is `dev` (calibration and any choice made while building the heads),
half `test` (held out, scored once), by FNV-1a of the row id. At most CAP rows per source, drawn by
a fixed seed, so that no one source dominates the figure.
"""
import csv
import gzip
import json
import random
import re
import sys
from pathlib import Path

DATA = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data")
OUT = Path(__file__).resolve().parent / "domain-natural.jsonl"
CAP = 150
SEED = 5

# Source-level rules: source metadata value -> category (or (category, also accepted)).
WIZARDLM_SKILLS = {
    "Math": "math", "Code Generation": "computer science", "Code Debug": "computer science",
    "Computer Science": "computer science", "Biology": "biology", "Chemistry": "chemistry",
    "Physics": "physics", "Law": "law", "Medicine": "health", "Economy": "economics",
    "History": "history", "Philosophy": "philosophy", "Ethics": "philosophy",
}
ARENA_HARD_SUBCATEGORIES = {"coding": "computer science", "math": "math"}
MT_BENCH_CATEGORIES = {"math": "math", "coding": "computer science"}
CLINC_INTENTS = {
    "nutrition_info": "health", "calories": "health", "vaccines": "health",
    "calculator": "math",
    "improve_credit_score": "business", "rollover_401k": "business", "taxes": "business",
}
# Personal finance sits between MMLU's business (accounting) and economics: both count.
CLINC_ALSO = {"improve_credit_score": ["economics"], "rollover_401k": ["economics"], "taxes": ["economics"]}
# Arena-Hard's "math" subcategory marks prompts that need mathematics, many of them programming tasks:
# a prompt that asks for a program also counts as computer science.
ASKS_FOR_CODE = re.compile(r"\b(python|java|javascript|c\+\+|c#|code|program|function|algorithm|script|sql)\b", re.I)


def is_english(text):
    """The bundled models and the encoder are English-only: rows mostly in other scripts or languages are left out."""
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(c.isascii() for c in letters) < 0.9 * len(letters):
        return False
    words = re.findall(r"[a-z]+", text.lower())
    common = {"the", "a", "an", "of", "to", "and", "is", "in", "what", "how", "for", "that", "with", "are", "on", "be", "it", "i", "you", "this", "can", "if", "find", "which", "do"}
    return len(words) < 4 or sum(w in common for w in words) >= 0.08 * len(words)
# Item-level hand labels for MT-Bench's stem/humanities and Vicuna's generic/knowledge/common-sense
# questions (the others of those categories name no single subject and are left out).
HAND_LABELS = {
    ("mt-bench", 141): "physics", ("mt-bench", 142): "physics", ("mt-bench", 143): "biology",
    ("mt-bench", 144): "biology", ("mt-bench", 145): "chemistry", ("mt-bench", 146): "chemistry",
    ("mt-bench", 147): "engineering", ("mt-bench", 148): "engineering", ("mt-bench", 149): "computer science",
    ("mt-bench", 151): "economics", ("mt-bench", 153): "law", ("mt-bench", 158): "philosophy",
    ("mt-bench", 159): "business",
    ("vicuna", 3): "computer science", ("vicuna", 6): "health", ("vicuna", 9): "business",
    ("vicuna", 13): "economics", ("vicuna", 16): "biology", ("vicuna", 17): "health",
    ("vicuna", 20): "biology", ("vicuna", 37): "psychology",
}


def fnv1a(text):
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def jsonl(path):
    with open(DATA / path, encoding="utf-8", newline="") as f:
        return [json.loads(line) for line in f.read().split("\n") if line.strip()]


def sources():
    """source name -> [(id, text, category, accept)]."""
    out = {}
    for r in jsonl("wizardlm-testset-nc/WizardLM_testset.jsonl"):
        if r["Skill"] in WIZARDLM_SKILLS:
            c = WIZARDLM_SKILLS[r["Skill"]]
            out.setdefault("wizardlm", []).append((f"wizardlm-{r['idx']}", r["Instruction"], c, [c]))
    for r in jsonl("arena-hard/arena_hard_v2.0_question.jsonl"):
        c = ARENA_HARD_SUBCATEGORIES.get(r["subcategory"]) if r["category"] == "hard_prompt" else None
        if c:
            accept = [c, "computer science"] if c == "math" and ASKS_FOR_CODE.search(r["prompt"]) else [c]
            out.setdefault(f"arena-hard-{r['subcategory']}", []).append((f"arena-hard-{r['uid']}", r["prompt"], c, accept))
    for name, file in (("mt-bench", "mt_bench_question"), ("vicuna", "vicuna_bench_question")):
        for r in jsonl(f"mt-bench/{file}.jsonl"):
            c = HAND_LABELS.get((name, r["question_id"])) or MT_BENCH_CATEGORIES.get(r["category"])
            if c:
                out.setdefault("mt-bench", []).append((f"{name}-{r['question_id']}", r["turns"][0], c, [c]))
    with open(DATA / "conala/conala-test.json", encoding="utf-8") as f:
        for i, r in enumerate(json.load(f)):
            out.setdefault("conala", []).append((f"conala-test-{i}", r["rewritten_intent"] or r["intent"], "computer science", ["computer science"]))
    with open(DATA / "clinc150/data_full.json", encoding="utf-8") as f:
        for i, (q, intent) in enumerate(json.load(f)["test"]):
            if intent in CLINC_INTENTS:
                c = CLINC_INTENTS[intent]
                out.setdefault("clinc150", []).append((f"clinc150-test-{i}", q, c, [c] + CLINC_ALSO.get(intent, [])))
    with gzip.open(DATA / "medquad/medquad_questions.tsv.gz", "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            # Consumer health questions; genetics questions are about heredity and genes too, so biology also counts.
            accept = ["health", "biology"] if r["qtype"] in ("inheritance", "genetic changes") else ["health"]
            out.setdefault("medquad", []).append((f"medquad-{r['qid']}", r["question"], "health", accept))
    with open(DATA / "pubmedqa/ori_pqal.json", encoding="utf-8") as f:
        for pmid, r in json.load(f).items():
            # Biomedical research questions: clinical ones are health, the rest (cell biology, genetics) biology.
            out.setdefault("pubmedqa", []).append((f"pubmedqa-{pmid}", r["QUESTION"], "health", ["health", "biology"]))
    return out


def main():
    rng = random.Random(SEED)
    rows = []
    for source, items in sorted(sources().items()):
        seen, unique = set(), []
        for item in items:
            key = " ".join(item[1].lower().split())
            if key not in seen and is_english(item[1]):
                seen.add(key)
                unique.append(item)
        rng.shuffle(unique)
        for id_, text, category, accept in sorted(unique[:CAP]):
            rows.append({"id": id_, "text": text, "category": category, "accept": accept, "source": source,
                         "split": "dev" if fnv1a(id_) % 2 == 0 else "test"})
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    from collections import Counter
    print(f"{len(rows)} rows -> {OUT}")
    print(Counter((r["source"], r["split"]) for r in rows))
    print(Counter(r["category"] for r in rows))


if __name__ == "__main__":
    main()
