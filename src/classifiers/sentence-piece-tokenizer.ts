/**
 * The SentencePiece unigram tokenizer of Universal Sentence Encoder Lite, reproducing the exact
 * segmentation of the TF.js reference (`@energetic-ai/embeddings`, itself Google's tfjs-models
 * tokenizer) so that our ONNX port sees the ids TF.js sees. Its quirks are kept on purpose:
 *   - NFKC, then every space becomes "▁" and one "▁" is prepended; no lower-casing;
 *   - a character no piece starts with becomes one unknown piece (id 0, score 0); a run of
 *     unknown pieces collapses to one id 0;
 *   - the Viterbi pass keeps the LAST candidate among equal scores (`>=`), and a position whose
 *     best score is exactly 0 (unreached, or reached only through unknown pieces) takes any
 *     candidate;
 *   - the backward pass steps by the piece's UTF-16 length, as the reference does.
 * What differs is cost: prefixes are walked in a code-point trie instead of slicing the input at
 * every position, so tokenizing is linear in the text length times the longest piece.
 */

/** One vocabulary entry as the package ships it: [piece, log-probability score]. */
export type VocabularyEntry = readonly [piece: string, score: number];

/** The first ids are control symbols (unknown, <s>, </s>, reserved) that no text maps to. */
const RESERVED_IDS = 6;
const SEPARATOR = '\u2581';
const UNKNOWN_ID = 0;

interface TrieNode {
  readonly children: Map<number, TrieNode>;
  /** Vocabulary id of the piece ending here, or -1. */
  id: number;
}

function newNode(): TrieNode {
  return { children: new Map(), id: -1 };
}

export class SentencePieceTokenizer {
  private readonly root = newNode();
  private readonly scores: Float64Array;
  /** UTF-16 length of each piece: the backward pass steps by it. */
  private readonly pieceLengths: Uint16Array;

  constructor(vocabulary: readonly VocabularyEntry[]) {
    this.scores = new Float64Array(vocabulary.length);
    this.pieceLengths = new Uint16Array(vocabulary.length);
    vocabulary.forEach(([piece, score], id) => {
      this.scores[id] = score;
      this.pieceLengths[id] = piece.length;
    });
    for (let id = RESERVED_IDS; id < vocabulary.length; id++) {
      let node = this.root;
      for (const symbol of vocabulary[id]![0]) {
        const cp = symbol.codePointAt(0)!;
        let child = node.children.get(cp);
        if (child === undefined) {
          child = newNode();
          node.children.set(cp, child);
        }
        node = child;
      }
      // A later duplicate overwrites an earlier one, as in the reference trie.
      node.id = id;
    }
  }

  get vocabularySize(): number {
    return this.scores.length;
  }

  /** Token ids of `text`. */
  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    const symbols = Array.from(SEPARATOR + normalized.replaceAll(' ', SEPARATOR), (s) => s.codePointAt(0)!);
    const n = symbols.length;
    // Lattice edges grouped by end position, in ascending start order (the reference's order).
    const edgeStarts: number[][] = Array.from({ length: n + 1 }, () => []);
    const edgeIds: number[][] = Array.from({ length: n + 1 }, () => []);
    for (let start = 0; start < n; start++) {
      let node = this.root.children.get(symbols[start]!);
      let matched = false;
      for (let end = start + 1; node !== undefined; end++) {
        if (node.id >= 0) {
          edgeStarts[end]!.push(start);
          edgeIds[end]!.push(node.id);
          matched = true;
        }
        node = end < n ? node.children.get(symbols[end]!) : undefined;
      }
      if (!matched) {
        edgeStarts[start + 1]!.push(start);
        edgeIds[start + 1]!.push(UNKNOWN_ID);
      }
    }
    const best = new Float64Array(n + 1);
    const bestId = new Int32Array(n + 1);
    for (let end = 1; end <= n; end++) {
      const starts = edgeStarts[end]!;
      const ids = edgeIds[end]!;
      for (let k = 0; k < starts.length; k++) {
        const id = ids[k]!;
        const score = (id === UNKNOWN_ID ? 0 : this.scores[id]!) + best[starts[k]!]!;
        if (best[end] === 0 || score >= best[end]!) {
          best[end] = score;
          bestId[end] = id;
        }
      }
    }
    const reversed: number[] = [];
    for (let at = n; at > 0; at -= this.pieceLengths[bestId[at]!]!) reversed.push(bestId[at]!);
    const ids: number[] = [];
    let previousUnknown = false;
    for (const id of reversed) {
      if (!(previousUnknown && id === UNKNOWN_ID)) ids.push(id);
      previousUnknown = id === UNKNOWN_ID;
    }
    return ids.reverse();
  }
}
