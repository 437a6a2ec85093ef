import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

// Optional +country, optional (area), then 2–4 digit groups joined by one separator each.
const CANDIDATE = /(?<![\p{L}\p{N}+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\p{L}\p{N}]|[.-]\d)/gu;
const CONTEXT = /\b(?:phone|tel|telephone|mobile|cell|call|fax|number|contact|reach|text|whatsapp)\b/i;
const DATE_LIKE = /^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/;
const DECIMAL_LIKE = /^\d+\.\d+$/;

/**
 * PHONE_NUMBER: 7–15 digit numbers written in phone grouping. A grouped number with a country
 * prefix or parentheses scores high; a bare grouped number needs a phone word within 40
 * characters before it, as Presidio's context enhancement does.
 */
export const phoneNumberRecognizer: PiiRecognizer = {
  type: 'PHONE_NUMBER',
  find(text): PiiEntity[] {
    const found: PiiEntity[] = [];
    for (const m of matchesOf(CANDIDATE, text)) {
      const value = m[0];
      const digits = value.replace(/\D/g, '');
      if (digits.length < 7 || digits.length > 15 || DATE_LIKE.test(value) || DECIMAL_LIKE.test(value) || /^(\d)\1+$/.test(digits)) continue;
      const marked = value.startsWith('+') || value.includes('(');
      const context = CONTEXT.test(text.slice(Math.max(0, m.index - 40), m.index));
      found.push({ type: 'PHONE_NUMBER', start: m.index, end: m.index + value.length, score: marked || context ? 0.9 : 0.6 });
    }
    return found;
  },
};
