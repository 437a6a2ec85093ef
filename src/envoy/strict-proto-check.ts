import protobuf from 'protobufjs';
import { didYouMean } from '../config/did-you-mean.js';
import { ENVOY_BOOTSTRAP_TYPE, loadEnvoyProtoRoot } from './envoy-proto-root.js';
import {
  countRuleViolations,
  durationRuleViolations,
  enumRuleViolations,
  fieldRules,
  isOneofRequired,
  isPresenceRequired,
  itemRules,
  mapEntryRules,
  scalarRuleViolations,
  type FieldRules,
  type ScalarValue,
} from './validate-rules.js';

/** One way a JSON/YAML value does not decode into its proto message. */
export interface ProtoProblem {
  /** JSONPath of the offending value, e.g. `$.static_resources.clusters[0].name`. */
  readonly path: string;
  readonly message: string;
  /** `warning` for things Envoy accepts but flags (deprecated fields); everything else is `error`. */
  readonly severity: 'error' | 'warning';
}

/**
 * Checks an envoy.yaml (already parsed to plain JSON values) against Envoy's own
 * `envoy.config.bootstrap.v3.Bootstrap` message, the way Envoy's loader would decode it.
 */
export function checkEnvoyBootstrap(config: unknown): ProtoProblem[] {
  return checkProtoJson(loadEnvoyProtoRoot(), ENVOY_BOOTSTRAP_TYPE, config);
}

/**
 * Checks one Envoy message in its JSON form, e.g. an `ExternalProcessor` filter config that a
 * mesh (Istio's EnvoyFilter) patches into Envoy's config rather than a whole bootstrap.
 */
export function checkEnvoyMessage(typeName: string, value: unknown): ProtoProblem[] {
  return checkProtoJson(loadEnvoyProtoRoot(), typeName, value);
}

/**
 * Strictly decodes `value` as the proto3 JSON form of message `typeName`: every key must be a
 * field (snake_case or lowerCamel JSON name), every value must fit its field type, every
 * `google.protobuf.Any` must name a message known to `root` in `@type` and fit it, and the
 * protoc-gen-validate rules Envoy enforces at load time must hold. Returns every problem found.
 */
function checkProtoJson(root: protobuf.Root, typeName: string, value: unknown): ProtoProblem[] {
  const checker = new ProtoJsonChecker(root);
  checker.checkMessage(root.lookupType(typeName), value, '$');
  return checker.problems;
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const DURATION_PATTERN = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000n;
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** Integer ranges of the proto scalar types that JSON carries as numbers or decimal strings. */
const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

/** Wrapper messages: their JSON form is the bare wrapped scalar. */
const WRAPPER_TYPES: Readonly<Record<string, string>> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

/** Well-known types whose JSON form is not an object of fields (so `Any` wraps them in `value`). */
const SPECIAL_JSON_TYPES = new Set([
  ...Object.keys(WRAPPER_TYPES),
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.FieldMask',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
]);

class ProtoJsonChecker {
  readonly problems: ProtoProblem[] = [];
  private readonly keyIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

  constructor(private readonly root: protobuf.Root) {}

  checkMessage(type: protobuf.Type, value: unknown, path: string, rules?: FieldRules): void {
    const name = fullName(type);
    if (name === 'google.protobuf.Any') return this.checkAny(value, path, rules);
    if (SPECIAL_JSON_TYPES.has(name)) return this.checkSpecialJson(name, value, path, rules);
    if (!isPlainObject(value)) return this.error(path, `expected an object (${name}), got ${describe(value)}`);

    const present = new Map<string, string>();
    const oneofMembers = new Map<string, string>();
    for (const [key, fieldValue] of Object.entries(value)) {
      const fieldPath = joinPath(path, key);
      const field = this.fieldForKey(type, key);
      if (field === undefined) {
        this.error(fieldPath, `unknown field "${key}" in ${name}${suggestion(key, type)}`);
        continue;
      }
      const earlierKey = present.get(field.name);
      if (earlierKey !== undefined) {
        this.error(fieldPath, `field ${field.name} given twice ("${earlierKey}" and "${key}")`);
        continue;
      }
      present.set(field.name, key);
      if (fieldValue === null) continue;
      const oneof = field.partOf;
      if (oneof !== null) {
        const rival = oneofMembers.get(oneof.name);
        if (rival !== undefined) this.error(fieldPath, `oneof ${oneof.name} already set by "${rival}"`);
        oneofMembers.set(oneof.name, key);
      }
      if (field.options?.['deprecated'] === true) {
        this.problems.push({ path: fieldPath, message: `field ${field.name} of ${name} is deprecated`, severity: 'warning' });
      }
      this.checkField(field, fieldValue, fieldPath);
    }
    this.checkAbsentFields(type, value, present, path);
    for (const oneof of type.oneofsArray) {
      if (isOneofRequired(oneof) && !oneofMembers.has(oneof.name)) {
        this.error(path, `${name} needs one of ${oneof.fieldsArray.map((member) => member.name).join(', ')}`);
      }
    }
  }

  /** Rules that bite even when a field is left out: required messages and proto3 scalar defaults. */
  private checkAbsentFields(type: protobuf.Type, value: Record<string, unknown>, present: Map<string, string>, path: string): void {
    for (const field of type.fieldsArray) {
      const key = present.get(field.name);
      if (key !== undefined && value[key] !== null) continue;
      const rules = fieldRules(field);
      // A oneof member's rules apply only when it is the member that is set.
      if (rules === undefined || field.partOf !== null) continue;
      const fieldPath = joinPath(path, field.name);
      if (isPresenceRequired(rules)) {
        this.error(fieldPath, `${fullName(type)}.${field.name} is required`);
        continue;
      }
      if (field.map || field.repeated) {
        this.report(fieldPath, countRuleViolations([], rules, field.map));
        continue;
      }
      const resolved = field.resolve().resolvedType;
      if (resolved instanceof protobuf.Enum) this.report(fieldPath, enumRuleViolations(0, rules));
      else if (resolved === null) this.report(fieldPath, scalarRuleViolations(field.type, defaultScalar(field.type), rules));
    }
  }

  private checkField(field: protobuf.Field, value: unknown, path: string): void {
    const rules = fieldRules(field);
    if (field instanceof protobuf.MapField) return this.checkMap(field, value, path, rules);
    if (field.repeated) {
      if (!Array.isArray(value)) return this.error(path, `expected a list for repeated field ${field.name}, got ${describe(value)}`);
      this.report(path, countRuleViolations(value, rules, false));
      const elementRules = itemRules(rules);
      value.forEach((element, index) => this.checkSingle(field, element, `${path}[${index}]`, elementRules));
      return;
    }
    this.checkSingle(field, value, path, rules);
  }

  private checkMap(field: protobuf.MapField, value: unknown, path: string, rules: FieldRules | undefined): void {
    if (!isPlainObject(value)) return this.error(path, `expected an object for map field ${field.name}, got ${describe(value)}`);
    const entries = Object.entries(value);
    this.report(path, countRuleViolations(entries, rules, true));
    for (const [key, entryValue] of entries) {
      const entryPath = joinPath(path, key);
      this.checkScalar(field.keyType, key, entryPath, mapEntryRules(rules, 'keys'), true);
      this.checkSingle(field, entryValue, entryPath, mapEntryRules(rules, 'values'));
    }
  }

  private checkSingle(field: protobuf.FieldBase, value: unknown, path: string, rules: FieldRules | undefined): void {
    if (value === null) return this.error(path, `null is not allowed inside a list or map (${field.name})`);
    const resolved = field.resolve().resolvedType;
    if (resolved instanceof protobuf.Type) return this.checkMessage(resolved, value, path, rules);
    if (resolved instanceof protobuf.Enum) return this.checkEnum(resolved, value, path, rules);
    this.checkScalar(field.type, value, path, rules, false);
  }

  private checkEnum(type: protobuf.Enum, value: unknown, path: string, rules: FieldRules | undefined): void {
    let number: number | undefined;
    if (typeof value === 'string') number = type.values[value];
    else if (typeof value === 'number' && Object.values(type.values).includes(value)) number = value;
    if (number === undefined) {
      return this.error(path, `${describe(value)} is not a value of ${fullName(type)} (${Object.keys(type.values).join(', ')})`);
    }
    this.report(path, enumRuleViolations(number, rules));
  }

  private checkScalar(kind: string, value: unknown, path: string, rules: FieldRules | undefined, isMapKey: boolean): void {
    const parsed = parseScalar(kind, value, isMapKey);
    if (typeof parsed === 'object') return this.error(path, parsed.problem);
    if (kind === 'bytes') {
      const byteLength = Buffer.from(String(value), 'base64').length;
      return this.report(path, scalarRuleViolations(kind, byteLength, remapBytesRules(rules)));
    }
    this.report(path, scalarRuleViolations(kind, parsed, rules));
  }

  private checkAny(value: unknown, path: string, rules: FieldRules | undefined): void {
    if (!isPlainObject(value)) return this.error(path, `expected an object with "@type" (google.protobuf.Any), got ${describe(value)}`);
    const typeUrl = value['@type'];
    const typePath = joinPath(path, '@type');
    if (typeof typeUrl !== 'string') return this.error(typePath, 'google.protobuf.Any needs an "@type" string');
    if (!typeUrl.startsWith(TYPE_URL_PREFIX)) return this.error(typePath, `"@type" must start with ${TYPE_URL_PREFIX}, got "${typeUrl}"`);
    const allowed = rules?.['any']?.['in'];
    if (Array.isArray(allowed) && !allowed.includes(typeUrl)) this.error(typePath, `"@type" must be one of ${allowed.join(', ')}`);
    const messageName = typeUrl.slice(TYPE_URL_PREFIX.length);
    const target = this.lookupMessage(messageName);
    if (target === undefined) return this.error(typePath, `"@type" names ${messageName}, which is not a message in the loaded Envoy protos`);
    const { ['@type']: _typeUrl, ...fields } = value;
    if (SPECIAL_JSON_TYPES.has(messageName)) {
      const extraKeys = Object.keys(fields).filter((key) => key !== 'value');
      for (const key of extraKeys) this.error(joinPath(path, key), `unknown key "${key}" in an Any wrapping ${messageName} (use "value")`);
      return this.checkMessage(target, fields['value'], joinPath(path, 'value'));
    }
    this.checkMessage(target, fields, path);
  }

  private checkSpecialJson(name: string, value: unknown, path: string, rules: FieldRules | undefined): void {
    const wrapped = WRAPPER_TYPES[name];
    if (wrapped !== undefined) return this.checkScalar(wrapped, value, path, rules, false);
    switch (name) {
      case 'google.protobuf.Duration': {
        const nanos = parseDuration(value);
        if (typeof nanos === 'string') return this.error(path, nanos);
        return this.report(path, durationRuleViolations(nanos, rules));
      }
      case 'google.protobuf.Timestamp':
        if (typeof value !== 'string' || !TIMESTAMP_PATTERN.test(value)) this.error(path, `expected an RFC 3339 timestamp string, got ${describe(value)}`);
        return;
      case 'google.protobuf.FieldMask':
        if (typeof value !== 'string') this.error(path, `expected a comma-separated field mask string, got ${describe(value)}`);
        return;
      case 'google.protobuf.Struct':
        if (!isPlainObject(value)) this.error(path, `expected an object (google.protobuf.Struct), got ${describe(value)}`);
        return;
      case 'google.protobuf.ListValue':
        if (!Array.isArray(value)) this.error(path, `expected a list (google.protobuf.ListValue), got ${describe(value)}`);
        return;
      default:
        return;
    }
  }

  private fieldForKey(type: protobuf.Type, key: string): protobuf.Field | undefined {
    let index = this.keyIndex.get(type);
    if (index === undefined) {
      index = new Map();
      for (const field of type.fieldsArray) {
        index.set(field.name, field);
        const jsonName = field.options?.['json_name'];
        index.set(typeof jsonName === 'string' ? jsonName : lowerCamel(field.name), field);
      }
      this.keyIndex.set(type, index);
    }
    return index.get(key);
  }

  private lookupMessage(name: string): protobuf.Type | undefined {
    const found = this.root.lookup(name);
    return found instanceof protobuf.Type ? found : undefined;
  }

  private report(path: string, messages: readonly string[]): void {
    for (const message of messages) this.error(path, message);
  }

  private error(path: string, message: string): void {
    this.problems.push({ path, message, severity: 'error' });
  }
}

/** A scalar as the rules see it, or the reason the JSON value is not that scalar. */
function parseScalar(kind: string, value: unknown, isMapKey: boolean): ScalarValue | { problem: string } {
  const range = INTEGER_RANGES[kind];
  if (range !== undefined) {
    const integer = parseInteger(value);
    if (integer === undefined) return { problem: `expected an integer (${kind}), got ${describe(value)}` };
    if (integer < range[0] || integer > range[1]) return { problem: `${integer} is out of range for ${kind}` };
    return integer;
  }
  switch (kind) {
    case 'double':
    case 'float':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && (/^(NaN|-?Infinity)$/.test(value) || (value.trim() !== '' && Number.isFinite(Number(value))))) {
        return Number(value);
      }
      return { problem: `expected a number (${kind}), got ${describe(value)}` };
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (isMapKey && (value === 'true' || value === 'false')) return value === 'true';
      return { problem: `expected true or false, got ${describe(value)}` };
    case 'string':
      return typeof value === 'string' ? value : { problem: `expected a string, got ${describe(value)}` };
    case 'bytes':
      return typeof value === 'string' && BASE64_PATTERN.test(value) ? value : { problem: `expected base64 bytes, got ${describe(value)}` };
    default:
      return { problem: `unsupported scalar type ${kind}` };
  }
}

function parseInteger(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/** Nanoseconds of a proto3 JSON Duration ("2s", "0.250s"), or why it is not one. */
function parseDuration(value: unknown): bigint | string {
  if (typeof value !== 'string') return `expected a duration string such as "2s", got ${describe(value)}`;
  const match = DURATION_PATTERN.exec(value);
  if (match === null) return `"${value}" is not a duration; write seconds with an "s" suffix, e.g. "2s" or "0.250s"`;
  const seconds = BigInt(match[2] ?? '0');
  if (seconds > MAX_DURATION_SECONDS) return `"${value}" is longer than the largest Duration`;
  const nanos = seconds * 1_000_000_000n + BigInt((match[3] ?? '').padEnd(9, '0'));
  return match[1] === '-' ? -nanos : nanos;
}

/** PGV `bytes` length rules carry the same names as string ones; the checker compares byte counts. */
function remapBytesRules(rules: FieldRules | undefined): FieldRules | undefined {
  const bytesRules = rules?.['bytes'];
  if (bytesRules === undefined) return undefined;
  const { min_len, max_len, len } = bytesRules;
  return { bytes: { gte: min_len, lte: max_len, const: len } };
}

function defaultScalar(kind: string): ScalarValue {
  if (INTEGER_RANGES[kind] !== undefined) return 0n;
  if (kind === 'bool') return false;
  if (kind === 'double' || kind === 'float') return 0;
  return '';
}

function fullName(reflection: protobuf.ReflectionObject): string {
  return reflection.fullName.replace(/^\./, '');
}

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

function joinPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value) ?? String(value);
}

/** "did you mean ..." for a misspelled key: the field with the smallest edit distance, if close. */
function suggestion(key: string, type: protobuf.Type): string {
  return didYouMean(key, type.fieldsArray.map((field) => field.name));
}
