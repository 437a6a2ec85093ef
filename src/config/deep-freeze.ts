/**
 * Freezes plain objects and arrays recursively and returns the value with a readonly type.
 * Maps and Sets are frozen as objects only (their entries stay technically mutable), which
 * is why the config exposes them as ReadonlyMap / ReadonlySet.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const entry of value.values()) deepFreeze(entry);
  } else if (!(value instanceof Set)) {
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return Object.freeze(value);
}
