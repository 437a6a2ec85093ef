"""The exported graph of the difficulty classifier: the easy/hard head of a domain_model.DomainModel
(hashed n-gram bag ++ embedder sentence vector → linear), with the bag stored as float16.

Inputs ngram_ids [b, n] int64, ngram_weights [b, n] float, embedding [b, d] float; output logits [b, 2]
(easy, hard), the inputs and output src/classifiers/feature-classifier.ts feeds and reads.
"""
import torch
from torch import nn
from torch.nn import functional as F


class ExportedDifficultyModel(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.register_buffer("bag16", model.ngrams.weight.detach().half())
        self.out = model.out

    def forward(self, ngram_ids, ngram_weights, embedding):
        bag = (F.embedding(ngram_ids, self.bag16).float() * ngram_weights.unsqueeze(-1)).sum(dim=1)
        return self.out(torch.cat([bag, embedding], dim=1))
