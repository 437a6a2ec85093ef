"""The domain classifier's networks: the trainable fastText-style model and the exported graph.

Training model: hashed n-gram bag (64-d) ++ embedder sentence vector → dropout → linear heads for the
14 categories and, as an auxiliary target, the 91 fine-grained sources.

Exported graph (what runs in ONNX): the same category head, blended in probability space with a kNN
vote over a memory of training questions, compared by the semantic (word-vector) part of the embedder
vector. The kNN vote adds local, non-linear evidence the linear head misses (+2-3 points on validation).
Weights are stored compactly (bag as float16, memory as int8 with a per-row scale) and widened inside
the graph; onnxruntime folds the widening of constants once at session start.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from knn_memory import SEMANTIC_DIMS, quantize_rows, semantic_unit  # noqa: E402,F401


class DomainModel(nn.Module):
    def __init__(self, buckets, hidden, embedding_dims, classes, sources, dropout):
        super().__init__()
        self.ngrams = nn.EmbeddingBag(buckets, hidden, mode="sum")
        nn.init.normal_(self.ngrams.weight, std=0.02)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden + embedding_dims, classes)
        self.source_out = nn.Linear(hidden + embedding_dims, sources)

    def forward(self, flat_ids, offsets, flat_weights, embedding):
        """Returns (category logits, source logits) for a packed batch of n-gram bags."""
        bag = self.ngrams(flat_ids, offsets, per_sample_weights=flat_weights)
        features = self.dropout(torch.cat([bag, embedding], dim=1))
        return self.out(features), self.source_out(features)


def knn_votes(query, memory, memory_labels, classes, k, temperature):
    """Softmax-weighted votes of the k most cosine-similar memory rows (query and memory unit-norm)."""
    similarity = query @ memory.T
    top, index = similarity.topk(k, dim=1)
    weights = torch.exp((top - top[:, :1]) * temperature)
    one_hot = F.one_hot(memory_labels[index], classes).to(weights.dtype)
    votes = (weights.unsqueeze(-1) * one_hot).sum(dim=1)
    return votes / votes.sum(dim=1, keepdim=True)


class ExportedDomainModel(nn.Module):
    """Inputs ngram_ids [b, n] int64, ngram_weights [b, n] float, embedding [b, d] float; output logits
    [b, 14] = log of the blended probabilities (so the runtime's softmax returns them unchanged)."""

    def __init__(self, model, memory, memory_labels, k, temperature, blend):
        super().__init__()
        self.register_buffer("bag16", model.ngrams.weight.detach().half())
        self.out = model.out
        q, scale = quantize_rows(memory)
        self.register_buffer("memory_q", torch.from_numpy(q))
        self.register_buffer("memory_scale", torch.from_numpy(scale).unsqueeze(1))
        self.register_buffer("memory_labels", torch.from_numpy(memory_labels.astype(np.int64)))
        self.k, self.temperature, self.blend = k, temperature, blend
        self.classes = model.out.out_features

    def forward(self, ngram_ids, ngram_weights, embedding):
        bag = (F.embedding(ngram_ids, self.bag16).float() * ngram_weights.unsqueeze(-1)).sum(dim=1)
        linear = F.softmax(self.out(torch.cat([bag, embedding], dim=1)), dim=1)
        memory = self.memory_q.float() * self.memory_scale
        votes = knn_votes(semantic_unit(embedding), memory, self.memory_labels, self.classes, self.k, self.temperature)
        return torch.log((1 - self.blend) * linear + self.blend * votes + 1e-9)
