import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

// 12 to 19 digits, optionally grouped by single spaces or dashes, not inside a longer number or after a "+" (phones).
const CANDIDATE = /(?<![\d+-])\d(?:[ -]?\d){11,18}(?![\d-])/g;

/** The Luhn (mod 10) check every payment card number passes. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** CREDIT_CARD: 12–19 digit numbers that pass Luhn and are not one repeated digit. */
export const creditCardRecognizer: PiiRecognizer = {
  type: 'CREDIT_CARD',
  find(text): PiiEntity[] {
    return matchesOf(CANDIDATE, text)
      .filter((m) => {
        const digits = m[0].replace(/[ -]/g, '');
        return !/^(\d)\1+$/.test(digits) && passesLuhn(digits);
      })
      .map((m) => ({ type: 'CREDIT_CARD', start: m.index, end: m.index + m[0].length, score: 1 }));
  },
};
