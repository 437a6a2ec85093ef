import type { PiiEntity, PiiRecognizer } from './pii-entity.js';
import { nameAndAddressSpans } from './name-address-tagger.js';

// Lower-case particles inside capitalised names: Maika van de Noort, Leonardo da Vinci.
const PARTICLES = new Set(['van', 'de', 'der', 'den', 'von', 'da', 'di', 'del', 'della', 'la', 'le', 'du', 'dos', 'das', 'bin', 'al', 'y', 'ter', 'ten']);
const WORD = /\p{L}[\p{L}\p{M}'’-]*/gu;

/**
 * Whether a tagged span reads as a name. In text with capitals every word of a name is capitalised
 * (or a particle); in all-lower-case text, where case gives no evidence, a lone word is more
 * often a term ("jailbreak attempt") than a name, so it takes at least two words.
 */
function readsAsName(span: string, caseless: boolean): boolean {
  const words = span.match(WORD) ?? [];
  if (caseless) return words.length >= 2;
  return words.every((w) => w[0] !== w[0]!.toLowerCase() || PARTICLES.has(w));
}

/** PERSON: people's names as the bundled sequence tagger marks them (models/pii/MODEL_CARD.md). */
export const personRecognizer: PiiRecognizer = {
  type: 'PERSON',
  find(text): PiiEntity[] {
    const caseless = text === text.toLowerCase();
    return nameAndAddressSpans(text).filter((s) => s.type === 'PERSON' && readsAsName(text.slice(s.start, s.end), caseless));
  },
};
