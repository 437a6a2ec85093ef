/**
 * A rule's failure to compile or load, prefixed with its signal type and name so a config with
 * many rules says which one is wrong; the original error stays as `cause`.
 */
export function ruleError(type: string, ruleName: string, error: unknown): Error {
  return new Error(`${type} rule "${ruleName}": ${(error as Error).message}`, { cause: error });
}
