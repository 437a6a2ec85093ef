/** The duration syntax the config accepts: a number and one unit, e.g. "500ms", "2s", "1m", "1h". */
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Converts a schema-valid duration string to milliseconds. */
export function durationToMs(duration: string): number {
  const match = new RegExp(DURATION_PATTERN).exec(duration);
  const unit = match?.[2];
  if (match === null || unit === undefined) throw new RangeError(`not a duration: "${duration}"`);
  return Math.round(Number.parseFloat(duration) * (UNIT_MS[unit] ?? Number.NaN));
}
