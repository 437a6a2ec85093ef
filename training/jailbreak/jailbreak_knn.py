"""kNN vote of the jailbreak detector: each scored window asks its nearest training prompts.

The vote compares a window's sentence vector, reduced to the embedder's semantic channel (its first
SEMANTIC_DIMS dimensions, GloVe SIF, unit-normalised), with the same vector of every training prompt
(attacks and benign, whole text). The k nearest vote with weights exp(temperature * (sim - sim_max)),
and the vote's attack share is blended with the network's probability. It adds local evidence about
topics next to known attacks that the one-hidden-layer network smooths over. The memory is stored as
int8 with a per-row scale and widened inside the ONNX graph.
"""
import numpy as np
import torch
from torch import nn

from knn_memory import SEMANTIC_DIMS, quantize_rows, semantic_unit  # noqa: E402,F401
# Candidates searched on validation rows; blend 0 is the network alone.
KS = (10, 20)
TEMPERATURES = (10.0, 20.0, 30.0)
BLENDS = (0.0, 0.3, 0.4, 0.5, 0.6)


def knn_memory(featurizer, rows):
    """Semantic unit vectors (float32) and labels of the rows' whole texts."""
    index = [featurizer.of(t)[0] for t, _, _ in rows]
    vectors = semantic_unit(torch.from_numpy(np.stack([featurizer.embeddings[i] for i in index]))).numpy()
    return vectors, np.asarray([y for _, y, _ in rows], dtype=np.float32)


class KnnVote(nn.Module):
    def __init__(self, memory, labels, k, temperature, blend):
        super().__init__()
        q, scale = quantize_rows(memory)
        self.register_buffer("memory_q", torch.from_numpy(q))
        self.register_buffer("memory_scale", torch.from_numpy(scale).unsqueeze(1))
        self.register_buffer("memory_labels", torch.from_numpy(labels))
        self.k, self.temperature, self.blend = k, temperature, blend

    def votes(self, embedding):
        """Attack share of the k nearest training prompts' weighted votes, per window."""
        memory = self.memory_q.float() * self.memory_scale
        top, index = (semantic_unit(embedding) @ memory.T).topk(self.k, dim=1)
        weights = torch.exp((top - top[:, :1]) * self.temperature)
        return (weights * self.memory_labels[index]).sum(dim=1) / weights.sum(dim=1)

    def blend_probability(self, network_probability, embedding):
        return (1 - self.blend) * network_probability + self.blend * self.votes(embedding)


class BlendedModel(nn.Module):
    """The trained network with the kNN vote, on the trainer's packed batches; returns the logit of the
    blended probability so that max-over-windows and sigmoid downstream stay as they are."""

    def __init__(self, network, knn):
        super().__init__()
        self.network, self.knn = network, knn

    def forward(self, flat_ids, offsets, weights, embedding):
        probability = self.knn.blend_probability(torch.sigmoid(self.network(flat_ids, offsets, weights, embedding)), embedding)
        return torch.logit(probability, eps=1e-7)


@torch.no_grad()
def choose_knn(network, featurizer, train_rows, val_rows, threshold_for):
    """(k, temperature, blend, table of validation recall) with the best validation recall at the threshold
    that validation benign rows allow; ties go to the smaller blend."""
    memory, labels = knn_memory(featurizer, train_rows)
    groups = [featurizer.of(t) for t, _, _ in val_rows]
    distinct = sorted({i for g in groups for i in g})
    position = {w: j for j, w in enumerate(distinct)}
    batch = featurizer.batch(distinct)
    network_probability = torch.sigmoid(network(*batch))
    y = np.asarray([r[1] for r in val_rows])
    table, best = {}, None
    for k in KS:
        for temperature in TEMPERATURES:
            votes = KnnVote(memory, labels, k, temperature, 0.0).votes(batch[3])
            for blend in BLENDS:
                window = ((1 - blend) * network_probability + blend * votes).numpy()
                text = np.asarray([max(window[position[i]] for i in g) for g in groups])
                threshold = threshold_for(text[y == 0])
                recall = float((text[y == 1] >= threshold).mean())
                table[f"k={k} t={temperature:g} blend={blend:g}"] = round(recall, 4)
                if best is None or recall > best[3] + 1e-9:
                    best = (k, temperature, blend, recall)
    return best[0], best[1], best[2], table
