import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigPathSegment, ConfigProblem } from './config-problem.js';
import { formatConfigPath } from './config-problem.js';
import { DURATION_PATTERN } from './duration.js';
import type { ConfigSchema } from './schema.js';

const compiledSchemas = new WeakMap<ConfigSchema, ValidateFunction>();

function validatorFor(schema: ConfigSchema): ValidateFunction {
  let validate = compiledSchemas.get(schema);
  if (validate === undefined) {
    // verbose: errors carry the offending data and schema, so messages can quote them.
    const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true });
    validate = ajv.compile(schema);
    compiledSchemas.set(schema, validate);
  }
  return validate;
}

function pointerToPath(pointer: string): ConfigPathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}

/**
 * Path segments whose values are secrets (provider keys, tokens, passwords, anything under an
 * auth section). A diagnostic never quotes a value at or under such a segment.
 */
const SECRET_SEGMENT = /(^|_)(access_key|api_key|key|token|secret|password|passwd|credentials?)$|auth/i;

/** Longest string value a diagnostic quotes; longer ones are described by their length. */
const QUOTABLE_LENGTH = 40;

/** Keywords whose failing value is a short literal the reader needs to see ("soon", 70000). */
const QUOTABLE_KEYWORDS: ReadonlySet<string> = new Set(['enum', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

function isSecretPath(path: readonly ConfigPathSegment[]): boolean {
  return path.some((segment) => typeof segment === 'string' && SECRET_SEGMENT.test(segment));
}

/**
 * What a diagnostic says it got. Values are named by their type only ("a number", "a string"):
 * a config value may be a key that `${VAR}` expansion put there, and a diagnostic is printed
 * to terminals and logs. Only a short string for a field that takes a word from a fixed set or
 * a pattern (an enum, a duration), or a number out of its range, is quoted, and never under a
 * secret-bearing key.
 */
function describeValue(value: unknown, path: readonly ConfigPathSegment[], quotable: boolean): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const quote = quotable && !isSecretPath(path);
  if (typeof value === 'string' && quote && value.length <= QUOTABLE_LENGTH) return JSON.stringify(value);
  if (typeof value === 'number' && quote) return String(value);
  if (typeof value === 'string') return value === '' ? 'an empty string' : `a string of ${value.length} characters`;
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

function listOf(values: readonly unknown[]): string {
  return values.map((value) => (typeof value === 'string' ? `"${value}"` : String(value))).join(', ');
}

function problemFromError(error: ErrorObject, branchMessages: readonly string[]): ConfigProblem {
  const path = pointerToPath(error.instancePath);
  const where = formatConfigPath(path);
  const quotable = QUOTABLE_KEYWORDS.has(error.keyword);
  const got = `got ${describeValue(error.data, path, quotable)}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
      if (error.instancePath === '/signals') {
        return { path: [...path, key], at: 'key', code: 'SY_CFG_UNKNOWN_SIGNAL', message: `unknown signal type "${key}" under signals (known: ${allowed.join(', ') || 'none'})` };
      }
      return { path: [...path, key], at: 'key', code: 'SY_CFG_SCHEMA', message: `unknown key "${key}" in ${where} (allowed: ${allowed.join(', ')})` };
    }
    case 'required':
      return { path, code: 'SY_CFG_SCHEMA', message: `${where} is missing required key "${String(params.missingProperty)}"` };
    case 'type':
      return { path, code: 'SY_CFG_SCHEMA', message: `${where} must be ${String(params.type).replaceAll(',', ' or ')}, ${got}` };
    case 'enum':
      return { path, code: 'SY_CFG_SCHEMA', message: `${where} must be one of ${listOf(params.allowedValues as unknown[])}, ${got}` };
    case 'pattern':
      if (params.pattern === DURATION_PATTERN) {
        return { path, code: 'SY_CFG_SCHEMA', message: `${where} must be a duration such as "300s", "2s", "500ms" or "1m", ${got}` };
      }
      return { path, code: 'SY_CFG_SCHEMA', message: `${where} must match /${String(params.pattern)}/, ${got}` };
    case 'anyOf':
    case 'oneOf':
      return { path, code: 'SY_CFG_SCHEMA', message: `${where} ${[...new Set(branchMessages)].join(' or ')}, ${got}` };
    default:
      return { path, code: 'SY_CFG_SCHEMA', message: `${where} ${error.message ?? 'is invalid'}${typeof error.data === 'object' ? '' : `, ${got}`}` };
  }
}

/**
 * Validates parsed YAML against the config schema, filling in schema defaults in place.
 * Every violation becomes one problem; the branch errors of an `anyOf`/`oneOf` are folded
 * into the one problem of the alternative they belong to.
 */
export function validateConfigSchema(data: unknown, schema: ConfigSchema): ConfigProblem[] {
  const validate = validatorFor(schema);
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  const alternatives = errors.filter((error) => error.keyword === 'anyOf' || error.keyword === 'oneOf');
  const branchOf = (error: ErrorObject): ErrorObject | undefined =>
    alternatives.find((alt) => alt !== error && error.schemaPath.startsWith(`${alt.schemaPath}/`) && error.instancePath.startsWith(alt.instancePath));
  return errors
    .filter((error) => branchOf(error) === undefined)
    .map((error) =>
      problemFromError(
        error,
        errors.filter((branch) => branchOf(branch) === error).map((branch) => branch.message ?? 'is invalid'),
      ),
    );
}
