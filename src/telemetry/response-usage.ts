import { StringDecoder } from 'node:string_decoder';
import { contentChars } from './token-estimate.js';

/** Token usage as an upstream reported it. */
export interface ReportedUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** What a {@link ResponseUsageMeter} saw in one response body. */
export interface ResponseObservation {
  /** The upstream's `usage`; undefined when it sent none (or a malformed one). */
  readonly usage: ReportedUsage | undefined;
  /** A `usage` was present but not a valid object of token counts. */
  readonly malformedUsage: boolean;
  /** Characters of answer text, for an estimate when no usage came. */
  readonly completionChars: number;
  /** When the first answer text arrived (performance.now()); undefined when none did. */
  readonly firstTokenAt: number | undefined;
  readonly lastTokenAt: number | undefined;
  /** The body ended as its format requires: a JSON body that parses, an event stream with `[DONE]`. */
  readonly complete: boolean;
}

/** The end of one SSE event (a blank line). */
const EVENT_END = /\r?\n\r?\n/g;
/** `"usage":null`, which an upstream asked for include_usage puts in every chunk; the client did not ask for it. */
const NULL_USAGE = /,"usage":null|"usage":null,/;
/** Largest JSON body kept for its usage; past it the usage is taken from the kept tail. */
const JSON_TAIL_BYTES = 64 * 1024;

function usageOf(value: unknown): { usage: ReportedUsage | undefined; malformed: boolean } {
  if (value === undefined || value === null) return { usage: undefined, malformed: false };
  const record = value as { prompt_tokens?: unknown; completion_tokens?: unknown };
  const { prompt_tokens: prompt, completion_tokens: completion } = record;
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (typeof value !== 'object' || !count(prompt) || !count(completion)) return { usage: undefined, malformed: true };
  return { usage: { promptTokens: prompt, completionTokens: completion }, malformed: false };
}

/** The JSON object that starts at `start` (brace matching outside strings); undefined when cut. */
function objectAt(text: string, start: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return undefined;
}

/**
 * Watches one upstream response body for token usage and token timing, and, when the router
 * asked the upstream for `stream_options.include_usage` on the client's behalf, takes the extra
 * usage chunk (and the `"usage":null` fields) back out so the client receives exactly the stream
 * it asked for. Event-stream chunks are cut at event boundaries only when something is removed;
 * otherwise every chunk goes on as it came.
 */
export class ResponseUsageMeter {
  private readonly decoder = new StringDecoder('utf8');
  /** Text of an event not yet complete. */
  private pending = '';
  private usage: ReportedUsage | undefined;
  private malformedUsage = false;
  private completionChars = 0;
  private firstTokenAt: number | undefined;
  private lastTokenAt: number | undefined;
  private done = false;
  private ended = false;
  private readonly jsonChunks: Buffer[] = [];
  private jsonBytes = 0;
  private jsonHead = '';

  constructor(
    private readonly eventStream: boolean,
    /** Remove what include_usage added (the router added it; the client did not ask). */
    private readonly stripUsage: boolean,
  ) {}

  /** Whether chunk() may return a replacement: only an event stream whose usage chunk is taken out. */
  get rewrites(): boolean {
    return this.eventStream && this.stripUsage;
  }

  /** Takes one body chunk; returns what the client gets instead when it differs, else undefined. */
  chunk(body: Buffer, now: number, endOfStream: boolean): Buffer | undefined {
    if (this.ended) return undefined;
    if (endOfStream) this.ended = true;
    if (!this.eventStream) {
      this.collectJson(body, now, endOfStream);
      return undefined;
    }
    const before = this.pending;
    const text = before + this.decoder.write(body) + (endOfStream ? this.decoder.end() : '');
    let kept = '';
    let changed = false;
    let start = 0;
    EVENT_END.lastIndex = 0;
    for (let match = EVENT_END.exec(text); match !== null; match = EVENT_END.exec(text)) {
      const end = match.index + match[0].length;
      const event = text.slice(start, end);
      start = end;
      const out = this.event(event, now);
      if (out !== event) changed = true;
      kept += out;
    }
    this.pending = text.slice(start);
    if (endOfStream && this.pending !== '') {
      // A last event without its blank line: the stream was cut; it goes on as it came.
      kept += this.pending;
      this.pending = '';
    }
    if (!this.stripUsage) return undefined;
    if (!changed && before === '' && this.pending === '') return undefined;
    return Buffer.from(kept, 'utf8');
  }

  observation(): ResponseObservation {
    return {
      usage: this.usage,
      malformedUsage: this.malformedUsage,
      completionChars: this.completionChars,
      firstTokenAt: this.firstTokenAt,
      lastTokenAt: this.lastTokenAt,
      complete: this.ended && (this.eventStream ? this.done : this.jsonComplete()),
    };
  }

  /** One whole SSE event: records what it says; returns it as the client gets it ('' when removed). */
  private event(event: string, now: number): string {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line[5] === ' ' ? 6 : 5))
      .join('\n');
    if (data === '') return event;
    if (data === '[DONE]') {
      this.done = true;
      return event;
    }
    if (data.includes('"usage"')) {
      let json: { usage?: unknown; choices?: unknown } | undefined;
      try {
        json = JSON.parse(data) as { usage?: unknown; choices?: unknown };
      } catch {
        json = undefined;
      }
      if (json !== undefined && json.usage !== undefined && json.usage !== null) {
        const { usage, malformed } = usageOf(json.usage);
        this.usage = usage ?? this.usage;
        this.malformedUsage ||= malformed;
        const usageOnly = Array.isArray(json.choices) && json.choices.length === 0;
        if (this.stripUsage && usageOnly) return '';
      }
    }
    const chars = contentChars(data);
    if (chars > 0) {
      this.completionChars += chars;
      this.firstTokenAt ??= now;
      this.lastTokenAt = now;
    }
    return this.stripUsage && NULL_USAGE.test(event) ? event.replace(NULL_USAGE, '') : event;
  }

  private collectJson(body: Buffer, now: number, endOfStream: boolean): void {
    if (body.length > 0) {
      this.firstTokenAt ??= now;
      this.lastTokenAt = now;
    }
    this.jsonChunks.push(body);
    this.jsonBytes += body.length;
    // Only the tail is kept: the usage is the body's last member; the head is kept to count text when there is none.
    while (this.jsonBytes - (this.jsonChunks[0]?.length ?? 0) >= JSON_TAIL_BYTES && this.jsonChunks.length > 1) {
      const dropped = this.jsonChunks.shift()!;
      if (this.jsonHead.length < JSON_TAIL_BYTES) this.jsonHead += dropped.toString('utf8');
      this.jsonBytes -= dropped.length;
    }
    if (!endOfStream) return;
    const tail = Buffer.concat(this.jsonChunks, this.jsonBytes).toString('utf8');
    const at = tail.lastIndexOf('"usage"');
    if (at !== -1) {
      const open = tail.indexOf('{', at);
      const between = open === -1 ? '' : tail.slice(at + 7, open);
      const object = /^\s*:\s*$/.test(between) ? objectAt(tail, open) : undefined;
      if (object === undefined) {
        // `"usage": null` is no usage; anything else there that is not an object is malformed.
        this.malformedUsage = !/^"usage"\s*:\s*null/.test(tail.slice(at));
      } else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(object);
        } catch {
          parsed = 'malformed';
        }
        const { usage, malformed } = usageOf(parsed);
        this.usage = usage;
        this.malformedUsage = malformed;
      }
    }
    this.completionChars = contentChars(this.jsonHead + tail);
  }

  private jsonComplete(): boolean {
    const tail = Buffer.concat(this.jsonChunks, this.jsonBytes).toString('utf8').trimEnd();
    return tail.endsWith('}');
  }
}
