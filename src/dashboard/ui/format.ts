export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(0);
}

export function money(value: number | undefined, currency = 'USD'): string {
  return value === undefined ? '–' : `${value < 0.01 && value > 0 ? value.toFixed(6) : value.toFixed(4)} ${currency}`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

// One formatter for every row: toLocaleTimeString builds a new one per call.
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit', hour12: false });

export function clock(epochMs: number): string {
  return CLOCK.format(epochMs);
}

/** "keyword: coding_keywords; domain: math" */
export function signalList(signals: Readonly<Record<string, readonly string[]>> | undefined): string {
  if (signals === undefined) return '';
  return Object.entries(signals)
    .map(([type, names]) => `${type}: ${names.join(', ')}`)
    .join('; ');
}

/** Tokens as "prompt→completion" when the request's usage is known. */
export function tokens(prompt: number | null | undefined, completion: number | null | undefined): string {
  if ((prompt ?? undefined) === undefined && (completion ?? undefined) === undefined) return '–';
  return `${prompt ?? '?'}→${completion ?? '?'}`;
}
