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
 * Luhn-valid card number is never also reported as a phone number.
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

/** The entity types the detector can report. */
export const PII_TYPES: readonly string[] = RECOGNIZERS.map((r) => r.type);

/** Non-overlapping entities of a text in text order, each at or above `minScore`. */
export function detectPii(text: string, minScore = 0): PiiEntity[] {
  const kept: PiiEntity[] = [];
  for (const recognizer of RECOGNIZERS) {
    for (const entity of recognizer.find(text)) {
      if (entity.score < minScore) continue;
      if (kept.some((k) => entity.start < k.end && k.start < entity.end)) continue;
      kept.push(entity);
    }
  }
  return kept.sort((a, b) => a.start - b.start);
}
