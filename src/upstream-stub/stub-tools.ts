/**
 * How the stubs use tools, the same in every wire format: when a request offers tools and
 * requires one (`tool_choice` "required"/"any" or a named tool), the stub calls that tool (or the
 * first) with `{"text": <last user message>}`, so a test can drive a tool round trip.
 */
export interface StubToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments as JSON text. */
  readonly arguments: string;
}

/** The tool a request requires, by name; undefined when it offers none or leaves the choice to the model. */
export function requiredToolName(toolNames: readonly string[], choice: unknown): string | undefined {
  if (toolNames.length === 0) return undefined;
  if (choice === 'required') return toolNames[0];
  if (typeof choice !== 'object' || choice === null) return undefined;
  const record = choice as { type?: unknown; name?: unknown; function?: { name?: unknown } };
  if (record.type === 'any') return toolNames[0];
  const named = record.type === 'tool' || record.type === 'function' ? (record.name ?? record.function?.name) : undefined;
  return typeof named === 'string' && toolNames.includes(named) ? named : undefined;
}

/** Splits text into a few pieces so a streamed answer arrives as several deltas. */
export function pieces(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
