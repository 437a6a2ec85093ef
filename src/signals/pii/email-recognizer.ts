import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

// A candidate starts where a run of local-part characters starts. The match is the same as without
// the lookbehind (a run that fails at its start fails at every later position too), but without it
// the engine retries from every character of a long run: quadratic on 40k letters without a space.
const CANDIDATE = /(?<![\p{L}\p{N}._%+'-])[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}.-]+\.\p{L}{2,24}/gu;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

/** RFC 5321 limits and label rules that a bare pattern does not check. */
function isValidAddress(address: string): boolean {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length === 0 || local.length > 64 || domain.length > 253) return false;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
  const labels = domain.split('.');
  return labels.length >= 2 && labels.every((label) => LABEL.test(label));
}

/** EMAIL_ADDRESS: addresses whose local part and domain labels are well-formed. */
export const emailRecognizer: PiiRecognizer = {
  type: 'EMAIL_ADDRESS',
  find(text): PiiEntity[] {
    return matchesOf(CANDIDATE, text)
      .filter((m) => isValidAddress(m[0]))
      .map((m) => ({ type: 'EMAIL_ADDRESS', start: m.index, end: m.index + m[0].length, score: 1 }));
  },
};
