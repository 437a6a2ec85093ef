"""Writes the rows training/calibrate.ts fits and reports each bundled classifier's calibration on.

    /usr/bin/python3 training/calibration_sets.py   # -> training/.cache/calibration/<model>.jsonl

Every row is {"text", "label", "part", "set"}: part "fit" rows choose the temperature, part "report"
rows measure calibration error before and after; no row was trained on.
  * domain: fit on the natural-question evaluation's dev split (eval/domain-natural.jsonl, the traffic
    the thresholds are meant for) and on half the MMLU-Pro held-out questions (FNV-1a of the text, even);
    report on the natural test split and on the other half of the MMLU-Pro held-out questions.
  * difficulty: its held-out split (difficulty_data), halved by hash: fit on one half, report on the other.
  * jailbreak: fit on the grouped validation split, report on the grouped test split (jailbreak_data).
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "jailbreak"))
import difficulty_data  # noqa: E402
import domain_data  # noqa: E402
import jailbreak_data  # noqa: E402
from text_features import fnv1a  # noqa: E402

ROOT = HERE.parent
OUT = HERE / ".cache" / "calibration"


def write(name, rows):
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / f"{name}.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(name, len(rows), "rows")


def domain_rows():
    rows = []
    for line in (ROOT / "eval" / "domain-natural.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        r = json.loads(line)
        rows.append({"text": r["text"], "label": r["category"], "part": "fit" if r["split"] == "dev" else "report",
                     "set": f"natural-{r['split']}"})
    _, _, split = domain_data.load()
    # Half the MMLU-Pro held-out questions join the fit rows, so the temperature suits exam questions as well as
    # natural ones (a temperature cannot change any top-1 figure); the other half only reports.
    rows += [{"text": e.text, "label": e.category, "part": "fit" if fnv1a(e.text) % 2 == 0 else "report",
              "set": "mmlu-pro-held-out-fit-half" if fnv1a(e.text) % 2 == 0 else "mmlu-pro-held-out-report-half"}
             for e in split["held_out_questions"]]
    return rows


def difficulty_rows():
    split, _ = difficulty_data.load(ROOT / "eval" / "routing.jsonl")
    return [{"text": e.text, "label": difficulty_data.LABELS[e.label],
             "part": "fit" if fnv1a(difficulty_data.normalised(e.text)) % 10 == 0 else "report", "set": "held-out"}
            for e in split["held_out"]]


def jailbreak_rows():
    groups = {}
    rows = jailbreak_data.load_rows(groups)
    _, validation, test, _ = jailbreak_data.split_rows(rows, groups)
    label = {0: "benign", 1: "jailbreak"}
    return ([{"text": t, "label": label[y], "part": "fit", "set": "validation"} for t, y, _ in validation]
            + [{"text": t, "label": label[y], "part": "report", "set": "test"} for t, y, _ in test])


if __name__ == "__main__":
    for name, rows in (("domain", domain_rows), ("difficulty", difficulty_rows), ("jailbreak", jailbreak_rows)):
        if len(sys.argv) < 2 or name in sys.argv[1:]:
            write(name, rows())
