import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

const CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/giu;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/u;

/** URL: http(s) links that the WHATWG URL parser accepts, without trailing sentence punctuation. */
export const urlRecognizer: PiiRecognizer = {
  type: 'URL',
  find(text): PiiEntity[] {
    const found: PiiEntity[] = [];
    for (const m of matchesOf(CANDIDATE, text)) {
      const url = m[0].replace(TRAILING_PUNCTUATION, '');
      if (URL.canParse(url) && new URL(url).hostname.includes('.')) found.push({ type: 'URL', start: m.index, end: m.index + url.length, score: 0.9 });
    }
    return found;
  },
};
