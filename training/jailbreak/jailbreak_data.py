"""Labelled prompts for the jailbreak detector, each tagged with its source for by-source holdout.

Positives (label 1): real jailbreaks, jailbreak templates wrapped around questions, prompt
injections and plainly harmful requests. Negatives (label 0): everyday prompts plus hard
negatives that share the attackers' vocabulary (NotInject trigger words, XSTest safe prompts,
WildGuardTest benign prompts about sensitive topics, benign role-play, security coding requests).

Left out on purpose: BIPIA. Its attack instructions ("What is the capital of Brazil?") are attacks
only by where they are placed inside a retrieved document, and NotInject ships the very same
lists as benign requests, so as stand-alone prompts they carry no label a prompt classifier can learn.
do-not-answer's human_chatbox file and AILuminate's specialised-advice hazards (spc_*) are
sensitive rather than harmful (mental health, finance, legal questions) and are left out of both classes.
"""
import csv
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpora import DATA, jsonl  # noqa: E402

csv.field_size_limit(1 << 24)
SEED = 7
# Cap per source so that no single style dominates a class.
MAX_PER_SOURCE = 1500


def _lines(path):
    with open(DATA / path, encoding="utf-8", newline="") as f:
        return [line.strip() for line in f.read().split("\n") if line.strip()]


def _csv(path):
    with open(DATA / path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _json(path):
    with open(DATA / path, encoding="utf-8") as f:
        return json.load(f)


def positives(rng):
    out = {}
    out["jailbreak-in-the-wild"] = _lines("jailbreak-in-the-wild/inthewild_jailbreak_llms.txt")
    templates = [r["text"] for r in _csv("gptfuzz/GPTFuzzer.csv")]
    questions = [r["text"] for r in _csv("gptfuzz/question_list.csv")]
    out["gptfuzz"] = [t.replace("[INSERT PROMPT HERE]", q) for t in templates for q in rng.sample(questions, 6)]
    out["gptfuzz-questions"] = questions
    out["jailbreak-past-tense"] = _lines("jailbreak-past-tense/past_tense_en.txt")
    for name in ["discrimination_exclusion_toxicity_hateful_offensive", "information_hazard", "malicious_uses", "misinformation_harms"]:
        out.setdefault("do-not-answer", []).extend(_lines(f"do-not-answer/{name}.txt"))
    out["ailuminate"] = [r["prompt_text"] for r in _csv("ailuminate/airr_official_1.0_demo_en_us_prompt_set_release.no_cse.csv") if not r["hazard"].startswith("spc_")]
    out["cyberseceval-injection"] = [r["user_input"] for r in _json("cyberseceval/prompt_injection.json")]
    out["xstest-unsafe"] = [r["prompt"] for r in _csv("xstest/xstest_prompts.csv") if r["label"] == "unsafe"]
    out["notinject-valid-injection"] = [r["prompt"] for r in _json("notinject/valid.json") if r["label"] == 1]
    out["awesome-dan"] = [r["prompt"] for r in _csv("awesome-chatgpt-prompts/prompts.csv") if "DAN" in r["act"]]
    return out


def negatives(rng):
    out = {}
    out["notinject"] = [r["prompt"] for n in ("one", "two", "three") for r in _json(f"notinject/NotInject_{n}.json")]
    out["notinject-valid-benign"] = [r["prompt"] for r in _json("notinject/valid.json") if r["label"] == 0]
    out["xstest-safe"] = [r["prompt"] for r in _csv("xstest/xstest_prompts.csv") if r["label"] == "safe"]
    out["wildguard-benign"] = [r["prompt"] for r in _json("notinject/wildguard.json") if r["label"] == 0]
    out["awesome-chatgpt-prompts"] = [r["prompt"] for r in _csv("awesome-chatgpt-prompts/prompts.csv") if "DAN" not in r["act"]]
    out["cyberseceval-mitre-benign"] = [r["mutated_prompt"] for r in _json("cyberseceval/mitre_frr.json")]
    clinc = _json("clinc150/data_full.json")
    out["clinc150"] = [q for q, _ in clinc["train"] + clinc["oos_train"]]
    out["self-instruct"] = [r["instruction"] + ("\n" + r["instances"][0]["input"] if r["instances"] and r["instances"][0]["input"] else "")
                            for r in jsonl("self-instruct-user-oriented/user_oriented_instructions.jsonl")]
    out["nq-open"] = [r["question"] for r in jsonl("nq-open/NQ-open.dev.jsonl")]
    out["mt-bench"] = [t for f in ("mt_bench_question", "vicuna_bench_question") for r in jsonl(f"mt-bench/{f}.jsonl") for t in r["turns"]]
    out["ifeval"] = [r["prompt"] for r in jsonl("ifeval/input_data.jsonl")]
    out["arena-hard"] = [r["prompt"] for r in jsonl("arena-hard/arena_hard_v2.0_question.jsonl")]
    out["conala"] = [r["rewritten_intent"] or r["intent"] for r in _json("conala/conala-train.json")]
    out["gsm8k"] = [r["question"] for r in jsonl("gsm8k/train.jsonl")]
    out["mmlu-pro"] = [r["question"] for r in jsonl("mmlu-pro/mmlu_pro_test.jsonl")]
    return out


def load_rows():
    """[(text, label, source)], deduplicated, at most MAX_PER_SOURCE per source."""
    rng = random.Random(SEED)
    rows, seen = [], set()
    for label, groups in ((1, positives(rng)), (0, negatives(rng))):
        for source, texts in groups.items():
            texts = [t for t in texts if t and t.strip()]
            rng.shuffle(texts)
            kept = 0
            for t in texts:
                key = " ".join(t.lower().split())
                if key in seen:
                    continue
                seen.add(key)
                rows.append((t, label, source))
                kept += 1
                if kept >= MAX_PER_SOURCE:
                    break
    return rows


if __name__ == "__main__":
    from collections import Counter
    rows = load_rows()
    print(Counter((s, l) for _, l, s in rows))
