import type { PiiEntity, PiiRecognizer } from './pii-entity.js';
import { nameAndAddressSpans } from './name-address-tagger.js';

// A UK postcode is one unit ("LS6 2AB"); the tagger sometimes stops after its outward half.
const UK_OUTWARD_CODE_END = /\b[A-Z]{1,2}\d[A-Z\d]?$/;
const UK_INWARD_CODE = /^ \d[A-Z]{2}\b/;

function withWholeUkPostcode(span: PiiEntity, text: string): PiiEntity {
  if (!UK_OUTWARD_CODE_END.test(text.slice(span.start, span.end))) return span;
  const inward = UK_INWARD_CODE.exec(text.slice(span.end, span.end + 5));
  return inward === null ? span : { ...span, end: span.end + inward[0].length };
}

/**
 * STREET_ADDRESS: house number, street, unit, city, region and postcode as the bundled sequence
 * tagger marks them (models/pii/MODEL_CARD.md); the score is the tagger's margin. Address parts
 * separated only by spaces or commas form one address (the training data labels a house number
 * apart from its street); an address without a letter (a lone zip code or year) is not one, and one that ends
 * in the outward half of a UK postcode takes its inward half.
 */
export const streetAddressRecognizer: PiiRecognizer = {
  type: 'STREET_ADDRESS',
  find(text): PiiEntity[] {
    const merged: PiiEntity[] = [];
    for (const span of nameAndAddressSpans(text).filter((s) => s.type === 'STREET_ADDRESS')) {
      const previous = merged.at(-1);
      if (previous !== undefined && /^[\s,]*$/u.test(text.slice(previous.end, span.start))) merged[merged.length - 1] = { ...previous, end: span.end, score: Math.min(previous.score, span.score) };
      else merged.push(span);
    }
    return merged.filter((s) => /\p{L}/u.test(text.slice(s.start, s.end))).map((s) => withWholeUkPostcode(s, text));
  },
};
