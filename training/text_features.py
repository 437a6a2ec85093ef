"""Text → tokens and hashed features, mirrored byte for byte by src/classifiers/text-features.ts.

Both sides must agree exactly, or the bundled models see different inputs at run time than at
training time. The unit tests in test/unit/classifiers-text-features.test.ts pin the TS side to
values printed by this module (`python3 text_features.py` prints them).
"""
import unicodedata

FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193


def tokenize(text):
    """Lower-cased runs of letters and digits after NFKC normalisation."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens, current = [], []
    for ch in text:
        if ch.isalnum():
            current.append(ch)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


def fnv1a(text):
    """32-bit FNV-1a over the UTF-8 bytes of text."""
    h = FNV_OFFSET
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFF
    return h


def ngram_keys(tokens):
    """Unigram and bigram keys of a token list, the domain classifier's sparse features."""
    keys = ["u:" + t for t in tokens]
    keys += ["b:" + a + " " + b for a, b in zip(tokens, tokens[1:])]
    return keys


if __name__ == "__main__":
    for sample in ["Capital of France?", "Ünïcode ﬁne-tuning, x2 = 3.5", "naïve café"]:
        toks = tokenize(sample)
        print(sample, toks, [fnv1a(k) for k in ngram_keys(toks)])
