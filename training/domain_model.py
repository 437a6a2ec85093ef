"""The domain classifier's networks: the trainable fastText-style model and the exported graph.

Training model: hashed n-gram bag (64-d) ++ embedder sentence vector → dropout → linear heads for the
14 categories and, as an auxiliary target, the 91 fine-grained sources.

Exported graph (what runs in ONNX): three parts blended in probability space with weights chosen on
validation:
- the category head of the training model above;
- a kNN vote over a memory of training questions, compared by the semantic (word-vector) part of the
  embedder vector (local, non-linear evidence the linear head misses);
- a sparse linear model over hashed TF-IDF word 1-2-grams and character 2-5-grams
  (domain_sparse_features.py), trained with scikit-learn, much stronger alone than the 64-d bag.
Weights are stored compactly (bag as float16, memory and sparse weights as int8 with a per-row scale)
and widened inside the graph; onnxruntime folds the widening of constants once at session start.
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


def pack_bags(ids, weights, embeddings, index):
    """The rows `index` as one EmbeddingBag batch: flat ids, offsets, per-id weights, sentence vectors."""
    lengths = [len(ids[i]) for i in index]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return (torch.from_numpy(np.concatenate([ids[i] for i in index])), torch.from_numpy(offsets),
            torch.from_numpy(np.concatenate([weights[i] for i in index])), embeddings[index])


def train_with_linear_decay(model, packed, count, batch_loss, epochs, batch, learning_rate, rng):
    """Adam whose learning rate decays linearly to zero, as fastText does: the last epoch is then the
    best one, so no early stop is needed. `batch_loss(outputs, index)` scores one shuffled batch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    steps = epochs * -(-count // batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / steps))
    for epoch in range(epochs):
        model.train()
        total = 0.0
        order = rng.permutation(count)
        for start in range(0, len(order), batch):
            index = order[start : start + batch]
            optimizer.zero_grad()
            loss = batch_loss(model(*packed(index)), index)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss) * len(index)
        print(f"epoch {epoch + 1} loss {total / count:.4f}", flush=True)
    return model.eval()


def knn_votes(query, memory, memory_labels, classes, k, temperature):
    """Softmax-weighted votes of the k most cosine-similar memory rows (query and memory unit-norm)."""
    similarity = query @ memory.T
    top, index = similarity.topk(k, dim=1)
    weights = torch.exp((top - top[:, :1]) * temperature)
    one_hot = F.one_hot(memory_labels[index], classes).to(weights.dtype)
    votes = (weights.unsqueeze(-1) * one_hot).sum(dim=1)
    return votes / votes.sum(dim=1, keepdim=True)


class SparseLinear(nn.Module):
    """Scores of a linear model over TF-IDF bucket features, from distinct bucket ids [b, m] and their
    counts [b, m] (count 0 pads): tf = 1 + ln count, × idf, each block L2-normalised, · weights + bias."""

    def __init__(self, idf, coef, intercept, word_buckets):
        super().__init__()
        self.register_buffer("idf16", torch.from_numpy(idf).half())
        q, scale = quantize_rows(np.ascontiguousarray(coef.T))
        self.register_buffer("weights_q", torch.from_numpy(q))
        self.register_buffer("weights_scale16", torch.from_numpy(scale).half().unsqueeze(1))
        self.register_buffer("intercept", torch.from_numpy(intercept.astype(np.float32)))
        self.word_buckets = word_buckets

    def forward(self, ids, counts):
        present = counts > 0
        tf = torch.where(present, 1 + torch.log(counts.clamp_min(1.0)), torch.zeros_like(counts))
        values = tf * F.embedding(ids, self.idf16.unsqueeze(1)).squeeze(-1).float()
        is_char = ids >= self.word_buckets
        squares = values * values
        norm_word = (squares * (~is_char).float()).sum(dim=1, keepdim=True).sqrt()
        norm_char = (squares * is_char.float()).sum(dim=1, keepdim=True).sqrt()
        values = values / torch.where(is_char, norm_char, norm_word).clamp_min(1e-6)
        rows = F.embedding(ids, self.weights_q).float() * F.embedding(ids, self.weights_scale16).float()
        return (values.unsqueeze(-1) * rows).sum(dim=1) + self.intercept


class ExportedDomainModel(nn.Module):
    """Inputs ngram_ids [b, n] int64, ngram_weights [b, n] float, embedding [b, d] float, sparse_ids [b, m]
    int64, sparse_counts [b, m] float; output logits [b, 14] = log of the blended probabilities (so the
    runtime's softmax returns them unchanged). blend = (linear, kNN, sparse) weights summing to 1."""

    def __init__(self, model, memory, memory_labels, k, temperature, sparse, sparse_temperature, blend):
        super().__init__()
        self.register_buffer("bag16", model.ngrams.weight.detach().half())
        self.out = model.out
        q, scale = quantize_rows(memory)
        self.register_buffer("memory_q", torch.from_numpy(q))
        self.register_buffer("memory_scale", torch.from_numpy(scale).unsqueeze(1))
        self.register_buffer("memory_labels", torch.from_numpy(memory_labels.astype(np.int64)))
        self.k, self.temperature = k, temperature
        self.sparse, self.sparse_temperature = sparse, sparse_temperature
        self.blend = blend
        self.classes = model.out.out_features

    def forward(self, ngram_ids, ngram_weights, embedding, sparse_ids, sparse_counts):
        bag = (F.embedding(ngram_ids, self.bag16).float() * ngram_weights.unsqueeze(-1)).sum(dim=1)
        linear = F.softmax(self.out(torch.cat([bag, embedding], dim=1)), dim=1)
        memory = self.memory_q.float() * self.memory_scale
        votes = knn_votes(semantic_unit(embedding), memory, self.memory_labels, self.classes, self.k, self.temperature)
        sparse = F.softmax(self.sparse(sparse_ids, sparse_counts) * self.sparse_temperature, dim=1)
        w_linear, w_knn, w_sparse = self.blend
        return torch.log(w_linear * linear + w_knn * votes + w_sparse * sparse + 1e-9)
