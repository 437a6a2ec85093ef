/** One server-sent event: its `event:` name (if any) and its `data:` lines joined with "\n". */
export interface SseEvent {
  readonly event: string | undefined;
  readonly data: string;
}

/**
 * Splits a byte stream into server-sent events as chunks arrive. A chunk may end anywhere (mid
 * line, mid UTF-8 character); what is not yet a whole event is kept for the next chunk.
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private pending = '';

  push(chunk: Uint8Array): SseEvent[] {
    this.pending += this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** The events left when the stream ends, including a last one without its blank line. */
  end(): SseEvent[] {
    this.pending += this.decoder.decode();
    return this.drain(true);
  }

  private drain(final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    const text = this.pending.includes('\r') ? this.pending.replace(/\r\n?/g, '\n') : this.pending;
    let start = 0;
    for (let boundary = text.indexOf('\n\n'); boundary !== -1; boundary = text.indexOf('\n\n', start)) {
      const event = parseBlock(text.slice(start, boundary));
      if (event !== undefined) events.push(event);
      start = boundary + 2;
    }
    this.pending = text.slice(start);
    if (final && this.pending.trim() !== '') {
      const event = parseBlock(this.pending);
      if (event !== undefined) events.push(event);
      this.pending = '';
    }
    return events;
  }
}

function parseBlock(block: string): SseEvent | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { event, data: data.join('\n') };
}

/** One event in SSE framing; `event` is the named-event line Anthropic and the Responses API use. */
export function sseFrame(data: unknown, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
}
