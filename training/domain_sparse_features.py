"""Hashed TF-IDF features of the domain classifier's sparse linear model, mirrored by
src/classifiers/domain-sparse-features.ts.

Two blocks of buckets, each TF-IDF weighted and L2-normalised on its own (as scikit-learn's
TfidfVectorizer does for each vectorizer before they are stacked):
  word block [0, word_buckets):            FNV-1a("u:w" / "b:w1 w2") % word_buckets
  char block [word_buckets, +char_buckets): FNV-1a("c:" + gram) % char_buckets over the 2..5-character
                                            grams of every whitespace-separated word of the NFKC-normalised,
                                            lower-cased text, padded with one space on each side
Char grams see punctuation and symbols ("x^2", "$", "h2so4.") that the word tokens drop; they were worth
about 2 points on validation over grams of the alphanumeric tokens.
The runtime sends only the distinct bucket ids and their counts; the ONNX graph applies the
sublinear tf (1 + ln count), the stored idf and the per-block normalisation.
"""
import unicodedata
from collections import Counter

import numpy as np
from scipy.sparse import csr_matrix

from text_features import fnv1a, ngram_keys, tokenize

CHAR_GRAM_SIZES = (2, 3, 4, 5)


def char_gram_keys(text):
    """The "c:"-prefixed 2..5-grams of each whitespace-separated word padded as " word " (by code point)."""
    keys = []
    for word in unicodedata.normalize("NFKC", text).lower().split():
        padded = " " + word + " "
        for n in CHAR_GRAM_SIZES:
            keys += ["c:" + padded[i : i + n] for i in range(len(padded) - n + 1)]
    return keys


def bucket_counts(text, word_buckets, char_buckets):
    """Distinct bucket ids of a text (word block first) and how often each occurs."""
    counts = Counter(fnv1a(k) % word_buckets for k in ngram_keys(tokenize(text)))
    counts.update(word_buckets + fnv1a(k) % char_buckets for k in char_gram_keys(text))
    ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    return ids, np.fromiter(counts.values(), dtype=np.float32, count=len(counts))


def count_matrix(bucket_counts_list, buckets):
    """bucket_counts() of several texts as one CSR matrix [texts, buckets]."""
    rows = np.concatenate([np.full(len(ids), r) for r, (ids, _) in enumerate(bucket_counts_list)])
    cols = np.concatenate([ids for ids, _ in bucket_counts_list])
    values = np.concatenate([counts for _, counts in bucket_counts_list])
    return csr_matrix((values, (rows, cols)), shape=(len(bucket_counts_list), buckets), dtype=np.float32)


def fit_idf(counts, min_df):
    """Smoothed idf (scikit-learn's formula) per bucket; 0 for buckets seen in fewer than min_df texts,
    so, like a fitted vocabulary, they add nothing to the text's norm."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + counts.shape[0]) / (1 + df)) + 1
    idf[df < min_df] = 0
    return idf.astype(np.float32)


def tfidf(counts, idf, word_buckets):
    """Sublinear tf × idf, each block L2-normalised on its own (same math as the ONNX graph)."""
    m = counts.copy().tocsr()
    m.data = (1 + np.log(m.data)) * idf[m.indices]
    is_char = m.indices >= word_buckets
    row = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    squares = m.data.astype(np.float64) ** 2
    norm_word = np.bincount(row, squares * ~is_char, minlength=m.shape[0])
    norm_char = np.bincount(row, squares * is_char, minlength=m.shape[0])
    norms = np.sqrt(np.where(is_char, norm_char[row], norm_word[row]))
    m.data = (m.data / np.maximum(norms, 1e-6)).astype(np.float32)
    return m
