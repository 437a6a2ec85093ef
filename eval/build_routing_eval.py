#!/usr/bin/env python3
"""Builds eval/routing.jsonl: labelled prompts for `switchyard eval`.

Each line: {"id", "text", "expect_tier": "local"|"cloud", "split": "dev"|"test", "source"}.
Hand-written prompts live in this file; the rest are drawn with a fixed seed from
../shared/data (see eval/README.md for sources and licences). Run from the repo root:
    /usr/bin/python3 eval/build_routing_eval.py [DATA_DIR]
"""
import hashlib
import json
import random
import sys
from pathlib import Path

DATA = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data")
OUT = Path(__file__).resolve().parent / "routing.jsonl"
rng = random.Random(20261125)

# Proofs, derivations, hard mathematics, multi-step formal reasoning: the cloud model with reasoning.
CLOUD_WRITTEN = [
    "Show that the square root of 2 is irrational.",
    "Prove that there are infinitely many prime numbers.",
    "Show that every bounded monotone sequence of real numbers converges.",
    "Why can't a finite group of order 15 be non-abelian? Give a rigorous argument.",
    "Establish that the sum of the first n odd numbers equals n squared for every positive integer n.",
    "Derive the closed form of the Fibonacci numbers using generating functions.",
    "Derive the Euler-Lagrange equation from the principle of stationary action.",
    "Show that a continuous function on a closed bounded interval attains its maximum.",
    "Prove by contradiction that there is no largest even number.",
    "Demonstrate rigorously that the harmonic series diverges.",
    "Is every subgroup of a cyclic group cyclic? Justify your answer with a complete argument.",
    "Show that the set of rational numbers is countable but the set of real numbers is not.",
    "Let f be differentiable with f'(x) = f(x) and f(0) = 1. Show that f(x) = e^x is the only such function.",
    "Derive the formula for the variance of a binomial random variable from first principles.",
    "Prove that the halting problem is undecidable.",
    "Show that if a prime p divides ab then p divides a or p divides b.",
    "Formally verify that this loop invariant holds: i <= n and sum == i*(i+1)/2 for the loop summing 1..n.",
    "Derive the time complexity recurrence of merge sort and solve it with the master theorem, justifying each step.",
    "Show that every planar graph can be colored with at most five colors.",
    "Prove Cauchy-Schwarz for real inner product spaces.",
    "Show that the eigenvalues of a real symmetric matrix are real.",
    "Derive the Black-Scholes partial differential equation from a delta-hedged portfolio argument.",
    "Find all integer solutions of x^2 - 2y^2 = 1 and explain why your list is complete.",
    "Explain rigorously why the determinant of a product of matrices equals the product of the determinants.",
    "Show that a tree with n vertices has exactly n - 1 edges.",
    "Using Peano's axioms, establish that addition of natural numbers is commutative.",
    "Determine whether the series sum of (-1)^n / sqrt(n) converges absolutely, conditionally or not at all, with a full justification.",
    "Show that the composition of two injective functions is injective, and that the converse fails in general.",
    "Derive the Schwarzschild radius from the condition that the escape velocity equals the speed of light, and discuss why the Newtonian derivation happens to agree with general relativity.",
    "Five people each shake hands with some of the others. Show that at least two of them shook the same number of hands.",
    "Prove that in any group the identity element is unique and each element has exactly one inverse.",
    "Show that sqrt(3) + sqrt(5) is irrational.",
    "Derive the quadratic formula by completing the square, and show that it gives every root.",
    "Establish the correctness of Dijkstra's algorithm on graphs with non-negative edge weights.",
    "Given that A implies B, B implies C, and not C, what can be concluded about A? Lay out the formal deduction step by step.",
    "Show that the number of subsets of an n-element set is 2^n, using a bijection.",
    "Derive the maximum likelihood estimator of the variance of a normal distribution and show that it is biased.",
    "Let G be a group where every element squares to the identity. Show that G is abelian.",
    "Compute the limit of (1 + 1/n)^n as n goes to infinity and justify every step with the definition of the limit.",
    "Verify formally that the language of balanced parentheses is not regular, using the pumping lemma.",
    "Show that between any two real numbers there is a rational number.",
    "Derive the heat equation from Fourier's law and conservation of energy.",
    "Evaluate the integral of e^(-x^2) over the real line and justify the change to polar coordinates.",
    "Show that the product of any four consecutive integers is one less than a perfect square.",
    "Derive Bayes' theorem from the definition of conditional probability and use it to show why a test with 99% accuracy can be wrong most of the time for a rare disease.",
]

# Simple questions, chit-chat, translation, everyday coding and debugging: the local model.
LOCAL_WRITTEN = [
    "hi! how's your day going?",
    "Thanks, that was really helpful.",
    "Tell me a fun fact about octopuses.",
    "What's a good name for a golden retriever puppy?",
    "Can you recommend a light novel for a long train ride?",
    "Translate 'Where is the train station?' into German.",
    "How do you say 'good morning, my friend' in Japanese?",
    "Translate this into French: The meeting has been moved to Thursday afternoon.",
    "Translate to Spanish: I would like a table for two near the window, please.",
    "What does 'carpe diem' mean in English?",
    "Please translate 'thank you for your patience' into Italian and Portuguese.",
    "My Python script says 'IndentationError: unexpected indent'. What does that mean?",
    "Why does my JavaScript fetch call return a Promise instead of the data?",
    "I get 'TypeError: Cannot read properties of undefined (reading 'map')' in React. How do I fix it?",
    "This SQL query returns duplicate rows: SELECT name FROM users JOIN orders ON users.id = orders.user_id. How do I get each name once?",
    "Fix this bug: for i in range(len(items)): if items[i] == target: items.remove(target)",
    "My git push is rejected with 'non-fast-forward'. What should I do?",
    "Write a bash one-liner that counts the lines in all .py files in a folder.",
    "How do I reverse a string in Python?",
    "Write a function in JavaScript that removes duplicates from an array.",
    "How do I center a div horizontally and vertically with CSS?",
    "Why is my Docker container exiting immediately after it starts?",
    "Convert this list comprehension into a normal for loop: squares = [x*x for x in range(10)]",
    "What is the difference between let and const in JavaScript?",
    "Write a regular expression that matches a US ZIP code.",
    "How do I read a CSV file with pandas and show the first five rows?",
    "What's the capital of Australia?",
    "How many ounces are in a pound?",
    "Who painted the Mona Lisa?",
    "What time zone is Chicago in?",
    "Give me three ideas for a quick vegetarian dinner.",
    "Summarize the plot of Romeo and Juliet in two sentences.",
    "Write a short, friendly reminder email about tomorrow's team lunch.",
    "What is 15% of 80?",
    "How long should I boil an egg for a soft yolk?",
    "Rewrite this sentence to sound more polite: Send me the report now.",
    "What's the weather usually like in Lisbon in May?",
    "Can you explain what an API is in simple terms?",
    "My npm install fails with EACCES permission denied. How can I fix it?",
    "Add type hints to this function: def add(a, b): return a + b",
]

CLINC_INTENTS = ["greeting", "goodbye", "thank_you", "tell_joke", "fun_fact", "translate", "definition", "weather",
                 "time", "what_is_your_name", "how_old_are_you", "meaning_of_life", "recipe", "measurement_conversion",
                 "spelling", "timezone", "calories", "what_are_your_hobbies", "where_are_you_from", "cook_time"]
SELF_INSTRUCT_APPS = {"Google Translate", "Grammarly", "Gmail", "Tasty", "Yelp", "Amazon", "Netflix", "Spotify", "Instagram",
                      "Twitter", "Facebook", "Wikipedia", "Google Search", "Google Map", "Reddit", "IMDB", "Goodreads", "Messenger"}
BBH_FORMAL = ["formal_fallacies", "logical_deduction_seven_objects", "web_of_lies", "tracking_shuffled_objects_seven_objects"]


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f.read().split("\n") if line.strip()]


def sample(items, n):
    items = list(items)
    rng.shuffle(items)
    return items[:n]


def drawn():
    math500 = [r for r in jsonl(DATA / "math500" / "math500.jsonl") if r["level"] >= 4 and "[asy]" not in r["problem"]]
    for r in sample(math500, 40):
        yield r["id"], r["problem"], "cloud", "math500"
    for r in sample([r for r in jsonl(DATA / "bbh" / "bbh.jsonl") if r["task"] in BBH_FORMAL], 16):
        yield f"bbh_{r['task']}_{r['idx']}", r["input"], "cloud", "bbh"
    clinc = json.load(open(DATA / "clinc150" / "data_full.json", encoding="utf-8"))["test"]
    for i, (text, intent) in enumerate(sample([row for row in clinc if row[1] in CLINC_INTENTS], 30)):
        yield f"clinc150_{intent}_{i}", text, "local", "clinc150"
    for i, r in enumerate(sample(jsonl(DATA / "nq-open" / "NQ-open.dev.jsonl"), 25)):
        yield f"nq_open_{i}", r["question"].rstrip("?") + "?", "local", "nq-open"
    conala = json.load(open(DATA / "conala" / "conala-test.json", encoding="utf-8"))
    for r in sample(conala, 20):
        yield f"conala_{r['question_id']}", r["intent"], "local", "conala"
    for i, r in enumerate(sample(jsonl(DATA / "mbpp" / "mbpp.jsonl"), 15)):
        yield f"mbpp_{i}", r["text"], "local", "mbpp"
    instruct = [r for r in jsonl(DATA / "self-instruct-user-oriented" / "user_oriented_instructions.jsonl") if r["motivation_app"] in SELF_INSTRUCT_APPS]
    for r in sample(instruct, 15):
        inp = r["instances"][0]["input"]
        yield r["id"], r["instruction"] + ("\n\n" + inp if inp else ""), "local", "self-instruct-user-oriented"
    for i, r in enumerate(sample(jsonl(DATA / "gsm8k" / "test.jsonl"), 12)):
        yield f"gsm8k_{i}", r["question"], "local", "gsm8k"


def split_of(ident):
    # Half of every source is held out from tuning, chosen by a hash so it never shifts when lines are added.
    return "dev" if int(hashlib.sha256(ident.encode()).hexdigest(), 16) % 2 == 0 else "test"


def main():
    rows = []
    rows += [(f"written_cloud_{i}", t, "cloud", "written") for i, t in enumerate(CLOUD_WRITTEN)]
    rows += [(f"written_local_{i}", t, "local", "written") for i, t in enumerate(LOCAL_WRITTEN)]
    rows += list(drawn())
    # Jailbreak, benign-but-edgy and PII prompts, written for this project with their labels.
    safety = (Path(__file__).resolve().parent / "safety.jsonl").read_text(encoding="utf-8").splitlines()
    with open(OUT, "w", encoding="utf-8") as f:
        for ident, text, tier, source in rows:
            f.write(json.dumps({"id": ident, "text": text, "expect_tier": tier, "split": split_of(ident), "source": source}, ensure_ascii=False) + "\n")
        for line in safety:
            f.write(line + "\n")
    print(f"wrote {len(rows) + len(safety)} prompts to {OUT}")


if __name__ == "__main__":
    main()
