import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

const CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/giu;
const TRAILING_PUNCTUATION = new Set('.,;:!?)]}');

/** The URL without sentence punctuation at its end; a loop, as `[.,]+$` retries from every mark of a long run. */
function withoutTrailingPunctuation(url: string): string {
  let end = url.length;
  while (end > 0 && TRAILING_PUNCTUATION.has(url[end - 1]!)) end--;
  return url.slice(0, end);
}

/** URL: http(s) links that the WHATWG URL parser accepts, without trailing sentence punctuation. */
export const urlRecognizer: PiiRecognizer = {
  type: 'URL',
  find(text): PiiEntity[] {
    const found: PiiEntity[] = [];
    for (const m of matchesOf(CANDIDATE, text)) {
      const url = withoutTrailingPunctuation(m[0]);
      if (URL.canParse(url) && new URL(url).hostname.includes('.')) found.push({ type: 'URL', start: m.index, end: m.index + url.length, score: 0.9 });
    }
    return found;
  },
};
