"""Natural (non-exam) training questions for the domain head, disjoint from eval/domain-natural.jsonl.

    import domain_natural_train
    rows = domain_natural_train.load(eval_texts)   # [(source, text, category)]

The exam data (MMLU-Pro, MMLU) alone leaves the head weak on the short questions users send. These
sources add such questions for the few categories their own metadata names, under the same hand rules
as eval/build_domain_eval.py (imported from there, so the two cannot drift):
  CLINC150 train + validation splits (the eval draws from its test split only): the intents in CLINC_INTENTS
  CoNaLa train split (the eval uses the test split): computer science
  MedQuAD and PubMedQA rows the eval did not draw: health (MedQuAD genetics types: biology)
  GSM8K train split and MATH-500: math (no eval rows come from them)
  MBPP: computer science (no eval rows come from it)
Every row whose normalised text equals an eval row's (dev or test) or a line of eval/routing.jsonl or
eval/safety.jsonl (the routing evaluation, which scores the domain signal too) is dropped, and at most CAP rows per
source are kept (fixed seed), so that exam questions stay the bulk of the data.
Because CLINC150, CoNaLa, MedQuAD and PubMedQA give both training rows and eval rows (different rows), the
model card reports the eval sources that gave no training rows (WizardLM, Arena-Hard, MT-Bench) apart.
"""
import csv
import gzip
import importlib.util
import json
import random
from pathlib import Path

import corpora

CAP = 600
SEED = 11
# Sources that also give rows to eval/domain-natural.jsonl (different rows): their eval figures are in-distribution.
SHARED_WITH_EVAL = ("clinc150", "conala", "medquad", "pubmedqa")

_spec = importlib.util.spec_from_file_location("build_domain_eval", Path(__file__).resolve().parents[1] / "eval" / "build_domain_eval.py")
_rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_rules)


def _key(text):
    return " ".join(text.lower().split())


def _candidates():
    data = corpora.DATA
    out = {}
    with open(data / "clinc150/data_full.json", encoding="utf-8") as f:
        full = json.load(f)
    for part in ("train", "val"):
        for q, intent in full[part]:
            if intent in _rules.CLINC_INTENTS:
                out.setdefault("clinc150", []).append((q, _rules.CLINC_INTENTS[intent]))
    with open(data / "conala/conala-train.json", encoding="utf-8") as f:
        for r in json.load(f):
            out.setdefault("conala", []).append((r["rewritten_intent"] or r["intent"], "computer science"))
    with gzip.open(data / "medquad/medquad_questions.tsv.gz", "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            category = "biology" if r["qtype"] in ("inheritance", "genetic changes") else "health"
            out.setdefault("medquad", []).append((r["question"], category))
    with open(data / "pubmedqa/ori_pqal.json", encoding="utf-8") as f:
        for r in json.load(f).values():
            out.setdefault("pubmedqa", []).append((r["QUESTION"], "health"))
    out["gsm8k"] = [(r["question"], "math") for r in corpora.jsonl("gsm8k/train.jsonl")]
    out["math500"] = [(r["problem"], "math") for r in corpora.jsonl("math500/math500.jsonl")]
    out["mbpp"] = [(r["text"], "computer science") for r in corpora.jsonl("mbpp/mbpp.jsonl")]
    return out


def _routing_eval_texts():
    root = Path(__file__).resolve().parents[1] / "eval"
    return [json.loads(line)["text"] for name in ("routing.jsonl", "safety.jsonl")
            for line in (root / name).read_text(encoding="utf-8").split("\n") if line.strip()]


def load(eval_texts):
    """[(source, text, category)]: at most CAP distinct English rows per source, none equal to an eval text."""
    excluded = {_key(t) for t in list(eval_texts) + _routing_eval_texts()}
    rng = random.Random(SEED)
    rows = []
    for source, items in sorted(_candidates().items()):
        seen, unique = set(), []
        for text, category in items:
            key = _key(text)
            if text and key not in seen and key not in excluded and _rules.is_english(text):
                seen.add(key)
                unique.append((source, text, category))
        rng.shuffle(unique)
        rows += unique[:CAP]
    return rows
