"""Creates test/fixtures/models/tiny-bert: a 1-layer, 32-wide BERT-shaped sequence classifier in the
Hugging Face export layout (config.json with id2label, a hand-written WordPiece tokenizer.json,
model.onnx with input_ids / attention_mask / token_type_ids -> logits). It is trained for a few
seconds on a toy math-vs-greeting task, so tests can assert real labels. Deterministic (fixed seed).
"""
import json
import sys
from pathlib import Path

import torch
from torch import nn

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "test" / "fixtures" / "models" / "tiny-bert"
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ("hello hi hey good morning evening how are you thanks thank nice to meet there friend "
         "solve the equation integral derivative of prove that theorem square root is irrational "
         "compute x y plus minus times find value matrix prime number sum").split()
PIECES = ["##s", "##ing", "##ed"] + list("abcdefghijklmnopqrstuvwxyz0123456789") + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
VOCAB = SPECIAL + WORDS + [p for p in PIECES if p not in WORDS] + list("?.,!'+-=*/^()")
LABELS = ["greeting", "math"]
HIDDEN, MAX_LEN = 32, 64

TRAIN = [
    ("hello how are you", 0), ("hi there friend", 0), ("good morning", 0), ("hey nice to meet you", 0),
    ("good evening how are you", 0), ("thanks friend", 0), ("hi how are you doing", 0), ("hello there", 0),
    ("solve the equation x plus 2 = 5", 1), ("find the derivative of x times x", 1),
    ("prove that the square root of 2 is irrational", 1), ("compute the integral of y", 1),
    ("find the value of x", 1), ("prove the theorem", 1), ("is 7 a prime number", 1), ("sum of the matrix", 1),
]


class TinyBert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(len(VOCAB), HIDDEN)
        self.position = nn.Embedding(MAX_LEN, HIDDEN)
        self.token_type = nn.Embedding(2, HIDDEN)
        self.norm1 = nn.LayerNorm(HIDDEN)
        self.qkv = nn.Linear(HIDDEN, 3 * HIDDEN)
        self.attn_out = nn.Linear(HIDDEN, HIDDEN)
        self.norm2 = nn.LayerNorm(HIDDEN)
        self.ffn = nn.Sequential(nn.Linear(HIDDEN, 4 * HIDDEN), nn.GELU(), nn.Linear(4 * HIDDEN, HIDDEN))
        self.norm3 = nn.LayerNorm(HIDDEN)
        self.classifier = nn.Linear(HIDDEN, len(LABELS))

    def forward(self, input_ids, attention_mask, token_type_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        h = self.norm1(self.word(input_ids) + self.position(positions) + self.token_type(token_type_ids))
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        scores = q @ k.transpose(1, 2) / HIDDEN ** 0.5
        scores = scores + (1.0 - attention_mask.unsqueeze(1).float()) * -1e4
        h = self.norm2(h + self.attn_out(torch.softmax(scores, dim=-1) @ v))
        h = self.norm3(h + self.ffn(h))
        return self.classifier(torch.tanh(h[:, 0]))


def wordpiece(word):
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in VOCAB:
                pieces.append(piece)
                start = end
                break
        else:
            return ["[UNK]"]
    return pieces


def encode(text):
    words = text.lower().replace("=", " = ").replace("+", " + ").split()
    ids = [VOCAB.index("[CLS]")] + [VOCAB.index(p) for w in words for p in wordpiece(w)] + [VOCAB.index("[SEP]")]
    return ids


def tokenizer_json():
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for i, t in enumerate(SPECIAL)
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [VOCAB.index(t)], "tokens": [t]} for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                  "vocab": {t: i for i, t in enumerate(VOCAB)}},
    }


def main():
    torch.manual_seed(7)
    model = TinyBert()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        for text, label in TRAIN:
            ids = torch.tensor([encode(text)])
            logits = model(ids, torch.ones_like(ids), torch.zeros_like(ids))
            loss = nn.functional.cross_entropy(logits, torch.tensor([label]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    OUT.mkdir(parents=True, exist_ok=True)
    ids = torch.tensor([encode("hello friend")])
    torch.onnx.export(
        model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(OUT / "model.onnx"),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ("input_ids", "attention_mask", "token_type_ids")} | {"logits": {0: "batch"}},
        opset_version=13,
    )
    config = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert", "hidden_size": HIDDEN,
        "num_hidden_layers": 1, "num_attention_heads": 1, "intermediate_size": 4 * HIDDEN,
        "max_position_embeddings": MAX_LEN, "vocab_size": len(VOCAB), "type_vocab_size": 2,
        "id2label": {str(i): l for i, l in enumerate(LABELS)}, "label2id": {l: i for i, l in enumerate(LABELS)},
    }
    (OUT / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    (OUT / "tokenizer.json").write_text(json.dumps(tokenizer_json(), indent=1) + "\n")
    (OUT / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "model_max_length": MAX_LEN, "tokenizer_class": "BertTokenizer"}) + "\n")
    with torch.no_grad():
        for text in ("hi how are you", "prove that the square root of 2 is irrational"):
            ids = torch.tensor([encode(text)])
            print(text, ids.tolist(), torch.softmax(model(ids, torch.ones_like(ids), torch.zeros_like(ids)), -1).tolist())


if __name__ == "__main__":
    main()
