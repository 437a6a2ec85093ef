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

Split (split_rows): every row has a group, and a group lies wholly on one side: a gptfuzz template with
all the questions put into it, a JailbreakBench goal with every attack method's prompt for it, otherwise
the row itself. A group's side is FNV-1a(group) % 20: 0-13 train, 14-16 validation, 17-19 test, so each
source splits about 70/15/15 by groups, not exactly by rows. Then a validation or test row with a near
copy on the training side (cosine >= NEAR_COPY of word uni- and bigram TF-IDF vectors) is dropped, so
no held-out figure rests on a prompt the model saw with a word changed. Prompts of eval/routing.jsonl
and eval/safety.jsonl are left out of every split (the routing evaluation scores them).
"""
import csv
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpora import DATA, jsonl  # noqa: E402

csv.field_size_limit(1 << 24)
ROOT = Path(__file__).resolve().parents[2]
SEED = 7
NEAR_COPY = 0.8
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


def _text_key(text):
    return " ".join(text.lower().split())


def positives(rng, groups):
    """source -> texts; `groups` receives text -> group for rows that must stay together."""
    out = {}
    out["jailbreak-in-the-wild"] = _lines("jailbreak-in-the-wild/inthewild_jailbreak_llms.txt")
    templates = [r["text"] for r in _csv("gptfuzz/GPTFuzzer.csv")]
    questions = [r["text"] for r in _csv("gptfuzz/question_list.csv")]
    out["gptfuzz"] = []
    for i, t in enumerate(templates):
        for q in rng.sample(questions, 6):
            out["gptfuzz"].append(t.replace("[INSERT PROMPT HERE]", q))
            groups[_text_key(out["gptfuzz"][-1])] = f"gptfuzz-template-{i}"
    out["gptfuzz-questions"] = questions
    out["jailbreak-past-tense"] = _lines("jailbreak-past-tense/past_tense_en.txt")
    for name in ["discrimination_exclusion_toxicity_hateful_offensive", "information_hazard", "malicious_uses", "misinformation_harms"]:
        out.setdefault("do-not-answer", []).extend(_lines(f"do-not-answer/{name}.txt"))
    out["ailuminate"] = [r["prompt_text"] for r in _csv("ailuminate/airr_official_1.0_demo_en_us_prompt_set_release.no_cse.csv") if not r["hazard"].startswith("spc_")]
    out["cyberseceval-injection"] = [r["user_input"] for r in _json("cyberseceval/prompt_injection.json")]
    out["xstest-unsafe"] = [r["prompt"] for r in _csv("xstest/xstest_prompts.csv") if r["label"] == "unsafe"]
    out["notinject-valid-injection"] = [r["prompt"] for r in _json("notinject/valid.json") if r["label"] == 1]
    out["awesome-dan"] = [r["prompt"] for r in _csv("awesome-chatgpt-prompts/prompts.csv") if "DAN" in r["act"]]
    # Plainly harmful requests without jailbreak wording.
    out["harmbench"] = [(r["ContextString"] + "\n\n" if r["ContextString"] else "") + r["Behavior"]
                        for r in _csv("harmbench/harmbench_behaviors_text_all.csv")]
    out["advbench"] = [r["goal"] for r in _csv("advbench/harmful_behaviors.csv")]
    out["strongreject"] = [r["forbidden_prompt"] for r in _csv("strongreject/strongreject_dataset.csv")]
    out["catqa"] = [q for sub in _json("harmfulqa-catqa/catqa_english.json").values() for qs in sub.values() for q in qs]
    out["dangerousqa"] = _json("harmfulqa-catqa/dangerousqa.json")
    out["harmfulqa"] = [q for sub in _json("harmfulqa-catqa/harmfulqa.json").values() for qs in sub.values() for q in qs]
    out["jailbreakbench-artifacts"] = []
    for path in sorted((DATA / "jailbreakbench-artifacts/attack-artifacts").glob("*/*/*.json")):
        for r in _json(path.relative_to(DATA))["jailbreaks"]:
            if r.get("prompt"):
                out["jailbreakbench-artifacts"].append(r["prompt"])
                groups[_text_key(r["prompt"])] = f"jbb-goal-{r['index']}"
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


def eval_keys():
    """Normalised texts of the routing evaluation's prompts (every user turn)."""
    keys = set()
    for name in ("routing.jsonl", "safety.jsonl"):
        path = ROOT / "eval" / name
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                r = json.loads(line)
                keys.add(_text_key(r["text"]) if "text" in r else "")
                keys.update(_text_key(m["content"]) for m in r.get("messages", []) if isinstance(m.get("content"), str))
    return keys


def load_rows(groups=None):
    """[(text, label, source)], deduplicated, without the routing evaluation's prompts, at most
    MAX_PER_SOURCE per source. `groups` (a dict) receives text key -> group for grouped rows."""
    rng = random.Random(SEED)
    groups = {} if groups is None else groups
    rows, seen = [], eval_keys()
    for label, by_source in ((1, positives(rng, groups)), (0, negatives(rng))):
        for source, texts in by_source.items():
            texts = [t for t in texts if t and t.strip()]
            rng.shuffle(texts)
            kept = 0
            for t in texts:
                key = _text_key(t)
                if key in seen:
                    continue
                seen.add(key)
                rows.append((t, label, source))
                kept += 1
                if kept >= MAX_PER_SOURCE:
                    break
    return rows


def _fnv1a(text):
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def split_rows(rows, groups):
    """(train, validation, test, dropped): grouped split, then held-out rows with a near copy in train dropped."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    sides = ([], [], [])
    for row in rows:
        key = _text_key(row[0])
        fold = _fnv1a(groups.get(key, key)) % 20
        sides[0 if fold < 14 else 1 if fold < 17 else 2].append(row)
    train, validation, test = sides
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit([r[0] for r in train])
    train_matrix = vectorizer.transform([r[0] for r in train]).T.tocsc()
    dropped = {}

    def without_near_copies(part):
        kept = []
        for start in range(0, len(part), 512):
            chunk = part[start:start + 512]
            best = (vectorizer.transform([r[0] for r in chunk]) @ train_matrix).max(axis=1).toarray().ravel()
            for row, similarity in zip(chunk, best):
                if similarity >= NEAR_COPY:
                    dropped[row[2]] = dropped.get(row[2], 0) + 1
                else:
                    kept.append(row)
        return kept

    return train, without_near_copies(validation), without_near_copies(test), dropped


if __name__ == "__main__":
    from collections import Counter
    groups = {}
    rows = load_rows(groups)
    train, validation, test, dropped = split_rows(rows, groups)
    for name, part in (("train", train), ("validation", validation), ("test", test)):
        print(name, len(part), sorted(Counter((s, l) for _, l, s in part).items()))
    print("dropped as near copies of training rows", dropped)
