import { createHash } from 'node:crypto';

// A literal value of a key that holds a credential; `${VAR}` references are left as written.
const SECRET_LINE = /^(\s*(?:-\s+)?(?:access_key|api_key|password|token)\s*:\s*)(["']?)(?!\$\{)([^"'#\r\n]*[^"'#\s])\2/gm;

function marker(value: string): string {
  return `<hidden:${createHash('sha256').update(value).digest('hex').slice(0, 12)}>`;
}

/**
 * Replaces each literal credential in a config text (`access_key`, `api_key`, `password`,
 * `token` values) with a marker naming its hash, so the dashboard never shows or sends a key.
 */
export function maskSecrets(text: string): string {
  return text.replace(SECRET_LINE, (_match, key: string, quote: string, value: string) => `${key}${quote}${marker(value)}${quote}`);
}

/**
 * Puts back, in an edited text, the credentials `maskSecrets` hid from `original`: an edit of the
 * masked text applies with the real keys, and a marker of no known value stays as written.
 */
export function restoreSecrets(edited: string, original: string): string {
  const values = new Map<string, string>();
  for (const match of original.matchAll(SECRET_LINE)) values.set(marker(match[3]!), match[3]!);
  return edited.replace(/<hidden:[0-9a-f]{12}>/g, (found) => values.get(found) ?? found);
}
