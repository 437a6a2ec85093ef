import type { RequestRecord } from './types.js';

/** A number field that cost accounting may add to a record (absent before it runs). */
export function recordNumber(record: RequestRecord, field: string): number | undefined {
  const value = (record.entry as unknown as Record<string, unknown>)[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(0);
}

export function money(value: number | undefined, currency = 'USD'): string {
  return value === undefined ? '–' : `${value < 0.01 && value > 0 ? value.toFixed(6) : value.toFixed(4)} ${currency}`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

export function clock(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour12: false });
}

/** "keyword: coding_keywords; domain: math" */
export function signalList(signals: Readonly<Record<string, readonly string[]>> | undefined): string {
  if (signals === undefined) return '';
  return Object.entries(signals)
    .map(([type, names]) => `${type}: ${names.join(', ')}`)
    .join('; ');
}

/** Tokens as "prompt→completion" when the record carries usage. */
export function tokens(record: RequestRecord): string {
  const prompt = recordNumber(record, 'promptTokens');
  const completion = recordNumber(record, 'completionTokens');
  if (prompt === undefined && completion === undefined) return '–';
  return `${prompt ?? '?'}→${completion ?? '?'}`;
}
