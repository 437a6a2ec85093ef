import { creditCardRecognizer } from './credit-card-recognizer.js';
import { emailRecognizer } from './email-recognizer.js';
import { ibanRecognizer } from './iban-recognizer.js';
import { ipAddressRecognizer } from './ip-address-recognizer.js';
import type { PiiEntity, PiiRecognizer } from './pii-entity.js';
import { personRecognizer } from './person-recognizer.js';
import { phoneNumberRecognizer } from './phone-number-recognizer.js';
import { streetAddressRecognizer } from './street-address-recognizer.js';
import { urlRecognizer } from './url-recognizer.js';
import { usSsnRecognizer } from './us-ssn-recognizer.js';

/**
 * Every recognizer, most precise first: where spans overlap, the earlier type wins, so a
 * Luhn-valid card number is never also reported as a phone number. The last two read the bundled
 * sequence tagger, which costs about 100× what the patterns do per character.
 */
const RECOGNIZERS: readonly PiiRecognizer[] = [
  emailRecognizer,
  urlRecognizer,
  ibanRecognizer,
  creditCardRecognizer,
  usSsnRecognizer,
  ipAddressRecognizer,
  phoneNumberRecognizer,
  streetAddressRecognizer,
  personRecognizer,
];
const TAGGER_RECOGNIZERS: ReadonlySet<PiiRecognizer> = new Set([streetAddressRecognizer, personRecognizer]);

/** The entity types the detector can report. */
export const PII_TYPES: readonly string[] = RECOGNIZERS.map((r) => r.type);
/** The types only the sequence tagger finds: they are looked for within a tagging budget only. */
export const TAGGED_PII_TYPES: readonly string[] = [...TAGGER_RECOGNIZERS].map((r) => r.type);

/** Non-overlapping entities of a text in text order, each at or above `minScore`; `tagged` false skips the tagger types. */
export function detectPii(text: string, minScore = 0, tagged = true): PiiEntity[] {
  const kept: PiiEntity[] = [];
  for (const recognizer of RECOGNIZERS) {
    if (!tagged && TAGGER_RECOGNIZERS.has(recognizer)) continue;
    for (const entity of recognizer.find(text, minScore, tagged)) {
      if (entity.score < minScore) continue;
      if (kept.some((k) => entity.start < k.end && k.start < entity.end)) continue;
      kept.push(entity);
    }
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Piece size of {@link detectPiiInPieces}: one piece through every recognizer, tagger included,
 * takes a few milliseconds, so the event loop turns between pieces.
 */
export const PII_PIECE_CHARS = 2048;
/** A piece ends at the last line break, else the last whitespace, in its final quarter. */
const PIECE_CUT_WINDOW = PII_PIECE_CHARS / 4;

// Characters no entity contains: a piece may end after one when its last quarter has no whitespace.
const SEPARATOR = /[\s;,"<>[\]{}|`]/;

/**
 * Where the piece starting at `start` ends: after the last line break in its final quarter, else
 * after the last whitespace or separator there. Only a run of 512+ characters with neither is cut
 * blindly, which can split an entity inside such a run (README "Long input").
 */
function pieceEnd(text: string, start: number): number {
  const limit = start + PII_PIECE_CHARS;
  if (limit >= text.length) return text.length;
  const newline = text.lastIndexOf('\n', limit - 1);
  if (newline >= limit - PIECE_CUT_WINDOW) return newline + 1;
  for (let i = limit; i > limit - PIECE_CUT_WINDOW; i--) if (SEPARATOR.test(text[i - 1]!)) return i;
  const code = text.charCodeAt(limit);
  return code >= 0xdc00 && code <= 0xdfff ? limit + 1 : limit;
}

/** The tagging budget of one request: how many characters the sequence tagger may still read. */
export interface TaggingBudget {
  left: number;
  /** Set when some text was not tagged because the budget ran out. */
  exhausted: boolean;
}

/**
 * {@link detectPii} over a text of any length, piece by piece, yielding to the event loop between
 * pieces; cost is linear in the text. The tagger types are looked for while `budget` lasts (it is
 * shared by the texts of a request), the pattern types everywhere.
 */
export async function detectPiiInPieces(text: string, minScore: number, budget: TaggingBudget, pause: () => Promise<void>): Promise<PiiEntity[]> {
  if (text.length <= PII_PIECE_CHARS && budget.left >= text.length) {
    budget.left -= text.length;
    return detectPii(text, minScore);
  }
  const found: PiiEntity[] = [];
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start);
    const tagged = budget.left >= end - start;
    if (tagged) budget.left -= end - start;
    else budget.exhausted = true;
    for (const entity of detectPii(text.slice(start, end), minScore, tagged)) found.push({ ...entity, start: entity.start + start, end: entity.end + start });
    start = end;
    if (start < text.length) await pause();
  }
  return found;
}
