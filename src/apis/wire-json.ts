/** Reading untyped wire JSON (request and response bodies of the three API formats) without trusting its shape. */

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as an array of objects; anything else (absent, scalars, non-object entries) is dropped. */
export function recordsOf(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Copies the listed keys that are present (not undefined) from one object to another, under new names. */
export function copyFields(from: JsonObject, to: JsonObject, names: Readonly<Record<string, string>>): void {
  for (const [source, target] of Object.entries(names)) if (from[source] !== undefined) to[target] = from[source];
}

/** A JSON string of tool arguments as an object; Anthropic wants objects, OpenAI sends strings (sometimes empty). */
export function parseArguments(text: unknown): JsonObject {
  if (typeof text !== 'string' || text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : { value: parsed };
  } catch {
    return { raw: text };
  }
}
