import { concatInSlices } from '../concat-in-slices.js';

/** Opens a placeholder (Unicode private use: JSON.stringify writes it as is, and no text the router makes uses it). */
export const PLACEHOLDER_START = '\uE000';
/** Closes a placeholder, after its number. */
export const PLACEHOLDER_END = '\uE001';

/**
 * The strings of a request body the JSON worker kept off the event loop (see
 * parseCompactJsonOffLoop): each is a buffer transferred from the worker, holding the string's
 * JSON text without its quotes, and the parsed value holds `marker` + its number +
 * {@link PLACEHOLDER_END} in its place. The router edits the small value and writes it as JSON;
 * {@link splice} then puts the strings back, so the upstream body is byte for byte the JSON of the
 * full edited value, assembled without one large copy on the loop.
 */
export class LongStrings {
  private readonly markerBytes: Buffer;
  private readonly endBytes = Buffer.from(PLACEHOLDER_END);

  constructor(
    /** {@link PLACEHOLDER_START} and a per-process random tag, so no client text can pass for a placeholder. */
    readonly marker: string,
    private readonly escaped: readonly Uint8Array[],
  ) {
    this.markerBytes = Buffer.from(marker);
  }

  get count(): number {
    return this.escaped.length;
  }

  /**
   * `json` (JSON text written from the value with placeholders) with every placeholder replaced by
   * its string; a placeholder may sit inside a longer string (a plug-in that prefixed a message
   * keeps it) and may appear more than once.
   */
  async splice(json: Buffer): Promise<Buffer> {
    const pieces: Buffer[] = [];
    let from = 0;
    for (let at = json.indexOf(this.markerBytes); at >= 0; at = json.indexOf(this.markerBytes, from)) {
      const numberAt = at + this.markerBytes.length;
      const end = json.indexOf(this.endBytes, numberAt);
      const text = end < 0 ? undefined : this.escaped[Number(json.toString('latin1', numberAt, end))];
      if (text === undefined) throw new Error('a long-string placeholder in the rewritten body is broken');
      pieces.push(json.subarray(from, at), Buffer.from(text.buffer, text.byteOffset, text.byteLength));
      from = end + this.endBytes.length;
    }
    if (pieces.length === 0) return json;
    pieces.push(json.subarray(from));
    return concatInSlices(pieces);
  }
}
