import { isIP } from 'node:net';
import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

const V4_CANDIDATE = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.]*\d)/g;
// Hex groups and colons (with an optional dotted IPv4 tail); node:net decides what is an address.
const V6_CANDIDATE = /(?<![\p{L}\p{N}:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::\d{1,3}(?:\.\d{1,3}){3})?(?![\p{L}\p{N}:])/gu;

/** IP_ADDRESS: IPv4 and IPv6 addresses that node:net accepts. */
export const ipAddressRecognizer: PiiRecognizer = {
  type: 'IP_ADDRESS',
  find(text): PiiEntity[] {
    const v4 = matchesOf(V4_CANDIDATE, text).filter((m) => isIP(m[0]) === 4);
    // "::" alone and times like "12:30:45" are not addresses worth redacting.
    const v6 = matchesOf(V6_CANDIDATE, text).filter((m) => isIP(m[0]) === 6 && /[0-9a-f]{2}/i.test(m[0]) && !/^\d{1,2}(:\d{2}){1,2}$/.test(m[0]));
    return [...v4, ...v6].map((m) => ({ type: 'IP_ADDRESS', start: m.index, end: m.index + m[0].length, score: 1 }));
  },
};
