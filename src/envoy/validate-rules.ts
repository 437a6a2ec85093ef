import type protobuf from 'protobufjs';

/**
 * The `(validate.rules)` annotation of one field, as protobufjs parses it: protoc-gen-validate
 * `FieldRules`, keyed by rule family (`string`, `uint32`, `duration`, `message`, `repeated`, ...).
 * Envoy enforces these when it loads a config, so a config that breaks one is rejected.
 */
export type FieldRules = Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;

/** Reads the `(validate.rules)` annotation of a field, if it has one. */
export function fieldRules(field: protobuf.FieldBase): FieldRules | undefined {
  for (const option of field.parsedOptions ?? []) {
    const rules: unknown = option['(validate.rules)'];
    if (isRecord(rules)) return rules as FieldRules;
  }
  return undefined;
}

/** Whether a oneof carries `(validate.required) = true`: exactly one member must be set. */
export function isOneofRequired(oneof: protobuf.OneOf): boolean {
  return (oneof.parsedOptions ?? []).some((option) => option['(validate.required)'] === true);
}

/** Whether the rules demand that a message-typed field is present. */
export function isPresenceRequired(rules: FieldRules | undefined): boolean {
  return ['message', 'any', 'duration', 'timestamp'].some((family) => rules?.[family]?.['required'] === true);
}

/** Rules for each element of a repeated field (`repeated.items`). */
export function itemRules(rules: FieldRules | undefined): FieldRules | undefined {
  return asRules(rules?.['repeated']?.['items']);
}

/** Rules for the keys (`map.keys`) or values (`map.values`) of a map field. */
export function mapEntryRules(rules: FieldRules | undefined, part: 'keys' | 'values'): FieldRules | undefined {
  return asRules(rules?.['map']?.[part]);
}

/** Scalar values as the checker hands them over: integers as bigint, floats as number. */
export type ScalarValue = string | number | bigint | boolean;

/**
 * Violations of the rules of scalar family `kind` (`string`, `uint32`, `bool`, ...) by `value`.
 * `bytes` values arrive decoded to their byte length for the length rules.
 */
export function scalarRuleViolations(kind: string, value: ScalarValue, rules: FieldRules | undefined): string[] {
  const family = rules?.[kind];
  if (family === undefined) return [];
  if (family['ignore_empty'] === true && isEmptyScalar(value)) return [];
  if (typeof value === 'string') return stringViolations(value, family);
  if (typeof value === 'boolean') {
    return family['const'] !== undefined && family['const'] !== value ? [`must be ${String(family['const'])}`] : [];
  }
  return numberViolations(value, family, String);
}

/** Violations of `duration` rules; `nanos` is the whole duration in nanoseconds. */
export function durationRuleViolations(nanos: bigint, rules: FieldRules | undefined): string[] {
  const family = rules?.['duration'];
  if (family === undefined) return [];
  const bounds: Record<string, unknown> = {};
  for (const key of ['const', 'lt', 'lte', 'gt', 'gte'] as const) {
    const bound = family[key];
    if (isRecord(bound)) bounds[key] = durationBoundNanos(bound);
  }
  return numberViolations(nanos, bounds, formatNanos);
}

/** Violations of `enum` rules (`const`, `in`, `not_in`; `defined_only` is checked by name). */
export function enumRuleViolations(number: number, rules: FieldRules | undefined): string[] {
  const family = rules?.['enum'];
  if (family === undefined) return [];
  return numberViolations(BigInt(number), { const: family['const'], in: family['in'], not_in: family['not_in'] }, String);
}

/** Violations of `repeated.min_items/max_items/unique` or `map.min_pairs/max_pairs`. */
export function countRuleViolations(items: readonly unknown[], rules: FieldRules | undefined, isMap: boolean): string[] {
  const family = rules?.[isMap ? 'map' : 'repeated'];
  if (family === undefined) return [];
  if (family['ignore_empty'] === true && items.length === 0) return [];
  const [minKey, maxKey, noun] = isMap ? ['min_pairs', 'max_pairs', 'entries'] : ['min_items', 'max_items', 'items'];
  const problems: string[] = [];
  const min = family[minKey];
  const max = family[maxKey];
  if (typeof min === 'number' && items.length < min) problems.push(`needs at least ${min} ${noun}, has ${items.length}`);
  if (typeof max === 'number' && items.length > max) problems.push(`allows at most ${max} ${noun}, has ${items.length}`);
  if (family['unique'] === true && new Set(items.map((item) => JSON.stringify(item))).size !== items.length) {
    problems.push('items must be unique');
  }
  return problems;
}

/**
 * protoc-gen-validate's `well_known_regex` patterns (validate.proto): header names and values,
 * strict (RFC 7230) unless `strict: false`, which only bans NUL, CR and LF.
 */
const WELL_KNOWN_REGEX: Readonly<Record<string, { strict: RegExp; loose: RegExp }>> = {
  HTTP_HEADER_NAME: { strict: /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/, loose: /^[^\0\n\r]+$/ },
  HTTP_HEADER_VALUE: { strict: /^[^\0-\x08\n-\x1f\x7f]*$/, loose: /^[^\0\n\r]*$/ },
};

function stringViolations(value: string, family: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const chars = [...value].length;
  const bytes = Buffer.byteLength(value);
  const limit = (key: string, actual: number, fails: (bound: number) => boolean, text: string): void => {
    const bound = family[key];
    if (typeof bound === 'number' && fails(bound)) problems.push(`${text} ${bound} (is ${actual})`);
  };
  limit('len', chars, (bound) => chars !== bound, 'length must be');
  limit('min_len', chars, (bound) => chars < bound, 'length must be at least');
  limit('max_len', chars, (bound) => chars > bound, 'length must be at most');
  limit('min_bytes', bytes, (bound) => bytes < bound, 'size in bytes must be at least');
  limit('max_bytes', bytes, (bound) => bytes > bound, 'size in bytes must be at most');
  if (typeof family['const'] === 'string' && value !== family['const']) problems.push(`must be "${family['const']}"`);
  if (Array.isArray(family['in']) && !family['in'].includes(value)) problems.push(`must be one of ${JSON.stringify(family['in'])}`);
  if (Array.isArray(family['not_in']) && family['not_in'].includes(value)) problems.push(`must not be "${value}"`);
  if (typeof family['prefix'] === 'string' && !value.startsWith(family['prefix'])) problems.push(`must start with "${family['prefix']}"`);
  if (typeof family['suffix'] === 'string' && !value.endsWith(family['suffix'])) problems.push(`must end with "${family['suffix']}"`);
  if (typeof family['contains'] === 'string' && !value.includes(family['contains'])) problems.push(`must contain "${family['contains']}"`);
  if (typeof family['pattern'] === 'string' && !new RegExp(family['pattern'], 'u').test(value)) {
    problems.push(`must match /${family['pattern']}/`);
  }
  const wellKnown = typeof family['well_known_regex'] === 'string' ? WELL_KNOWN_REGEX[family['well_known_regex']] : undefined;
  if (wellKnown !== undefined) {
    const pattern = family['strict'] === false ? wellKnown.loose : wellKnown.strict;
    if (!pattern.test(value)) problems.push(`is not a valid ${String(family['well_known_regex'])}`);
  }
  return problems;
}

function numberViolations(
  value: number | bigint,
  family: Readonly<Record<string, unknown>>,
  show: (bound: number | bigint) => string,
): string[] {
  const problems: string[] = [];
  const compare = (bound: unknown): number | undefined => {
    const other = toComparable(bound, typeof value);
    if (other === undefined) return undefined;
    return value < other ? -1 : value > other ? 1 : 0;
  };
  const check = (key: string, passes: (order: number) => boolean, text: string): void => {
    const order = compare(family[key]);
    if (order !== undefined && !passes(order)) problems.push(`must be ${text} ${show(toComparable(family[key], typeof value) ?? 0)}`);
  };
  check('const', (order) => order === 0, 'exactly');
  check('lt', (order) => order < 0, 'less than');
  check('lte', (order) => order <= 0, 'at most');
  check('gt', (order) => order > 0, 'greater than');
  check('gte', (order) => order >= 0, 'at least');
  const inList = family['in'];
  if (Array.isArray(inList) && !inList.some((bound) => compare(bound) === 0)) problems.push(`must be one of ${inList.join(', ')}`);
  else if (inList !== undefined && !Array.isArray(inList) && compare(inList) !== 0) problems.push(`must be ${String(inList)}`);
  const notIn = family['not_in'];
  const banned = Array.isArray(notIn) ? notIn : notIn === undefined ? [] : [notIn];
  if (banned.some((bound) => compare(bound) === 0)) problems.push(`must not be ${show(value)}`);
  return problems;
}

function toComparable(bound: unknown, kind: string): number | bigint | undefined {
  if (typeof bound === 'bigint') return kind === 'bigint' ? bound : Number(bound);
  if (typeof bound === 'number') return kind === 'bigint' && Number.isInteger(bound) ? BigInt(bound) : bound;
  if (typeof bound === 'string' && /^-?\d+$/.test(bound)) return kind === 'bigint' ? BigInt(bound) : Number(bound);
  return undefined;
}

function durationBoundNanos(bound: Readonly<Record<string, unknown>>): bigint {
  const seconds = toComparable(bound['seconds'] ?? 0, 'bigint');
  const nanos = toComparable(bound['nanos'] ?? 0, 'bigint');
  return (typeof seconds === 'bigint' ? seconds : 0n) * 1_000_000_000n + (typeof nanos === 'bigint' ? nanos : 0n);
}

function formatNanos(nanos: number | bigint): string {
  return `${Number(nanos) / 1e9}s`;
}

function isEmptyScalar(value: ScalarValue): boolean {
  return value === '' || value === 0 || value === 0n || value === false;
}

function asRules(value: unknown): FieldRules | undefined {
  return isRecord(value) ? (value as FieldRules) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
