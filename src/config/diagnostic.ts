/**
 * Config diagnostics: every problem found while loading a config file, with the file
 * position it comes from. Loading reports all of them, never only the first.
 *
 * | code                            | meaning                                                                                  |
 * | ------------------------------- | ---------------------------------------------------------------------------------------- |
 * | SY_CFG_FILE                     | the config file cannot be read                                                           |
 * | SY_CFG_YAML_SYNTAX              | the text is not valid YAML (bad indentation, duplicate key, unclosed quote, ...)         |
 * | SY_CFG_ENV_UNSET                | `${VAR}` names an unset variable without `:-default` (a placeholder stands in; checks go on) |
 * | SY_CFG_SCHEMA                   | a value breaks the config schema: wrong type, missing or unknown key, out of range, ...  |
 * | SY_CFG_UNKNOWN_SIGNAL           | a `signals:` key is no known signal type, or a rule leaf names an undefined signal type or rule |
 * | SY_CFG_UNKNOWN_MODEL            | a `modelRefs[].model` or `default_model` names no configured model                        |
 * | SY_CFG_DUPLICATE_NAME           | two models, two endpoints of one model, two rules of one signal type, two decisions, two reasoning families or two Envoy clusters share a name |
 * | SY_CFG_NOT_ARITY                | a `NOT` rule has other than exactly one condition                                        |
 * | SY_CFG_UNKNOWN_OPERATOR         | a rule `operator` is not AND, OR or NOT                                                  |
 * | SY_CFG_UNKNOWN_REASONING_FAMILY | a model's `reasoning_family` is neither configured nor built in                          |
 * | SY_CFG_BAD_ENDPOINT             | a model endpoint is not `host[:port][/path]`                                             |
 * | SY_CFG_SIGNAL_BUILD             | a signal plug-in refused its rules while the config was compiled                         |
 * | SY_CFG_CONFLICT                 | a setting given both at the top level and under `providers` has two different values     |
 * | SY_CFG_COMPOSER_REFERENCE       | a signal rule's `composer` names a signal of the rule's own type (composers run after every signal) |
 * | SY_CFG_UNSUPPORTED              | warning: a field accepted (Athena compatibility) that has no effect here, and why         |
 * | SY_CFG_NO_REASONING_FAMILY      | warning: a decision asks a model to reason, but it has no reasoning family, given or inferred from its name |
 * | SY_DSL_SYNTAX                   | the routing DSL text does not parse (unexpected token, unclosed block, bad string, ...)   |
 * | SY_DSL_UNKNOWN_BACKEND          | a DSL `BACKEND` block has a type other than `model` or `semantic_cache`                  |
 * | SY_DSL_UNKNOWN_PLUGIN           | a DSL route's `PLUGIN x` names neither a plug-in template nor a plug-in type              |
 * | SY_CFG_TLS                      | `envoy.extproc_tls` cannot work as written (client certificates required without a CA; warning: a TLS sidecar with no client side for Envoy) |
 * | SY_CFG_INSECURE                 | warning: the ext_proc port listens beyond loopback without TLS (it hands out provider keys) |
 */
export const CONFIG_DIAGNOSTIC_CODES = [
  'SY_CFG_FILE',
  'SY_CFG_YAML_SYNTAX',
  'SY_CFG_ENV_UNSET',
  'SY_CFG_SCHEMA',
  'SY_CFG_UNKNOWN_SIGNAL',
  'SY_CFG_UNKNOWN_MODEL',
  'SY_CFG_DUPLICATE_NAME',
  'SY_CFG_NOT_ARITY',
  'SY_CFG_UNKNOWN_OPERATOR',
  'SY_CFG_UNKNOWN_REASONING_FAMILY',
  'SY_CFG_BAD_ENDPOINT',
  'SY_CFG_SIGNAL_BUILD',
  'SY_CFG_CONFLICT',
  'SY_CFG_COMPOSER_REFERENCE',
  'SY_CFG_UNSUPPORTED',
  'SY_CFG_NO_REASONING_FAMILY',
  'SY_DSL_SYNTAX',
  'SY_DSL_UNKNOWN_BACKEND',
  'SY_DSL_UNKNOWN_PLUGIN',
  'SY_CFG_TLS',
  'SY_CFG_INSECURE',
] as const;

/** One of the documented config diagnostic codes. */
export type ConfigDiagnosticCode = (typeof CONFIG_DIAGNOSTIC_CODES)[number];

/** A problem in a config file at a 1-based line and column. */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly severity: 'error' | 'warning';
  readonly code: ConfigDiagnosticCode;
  readonly message: string;
}

/** Renders a diagnostic the way compilers do: `FILE:LINE:COL: error CODE: message`. */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  return `${diagnostic.file}:${diagnostic.line}:${diagnostic.col}: ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`;
}

/** Whether any diagnostic is an error (warnings alone do not stop a config from loading). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === 'error');
}
