/** Time from the routed request leaving the sidecar to its response headers, and per output token. */
export interface LatencySample {
  readonly ttftMs?: number;
  readonly tpotMs?: number;
}

const DATA_LINE = /^data: ?(?!\[DONE\])/gm;

/**
 * Watches one response body for time per output token: each SSE `data:` event counts as one token
 * (servers send one per token), and TPOT is the time between the first and last event over the
 * events between them. A JSON body arrives whole, so its TPOT is the whole wait over
 * `usage.completion_tokens`.
 */
export class ResponseTiming {
  private firstEventAt: number | undefined;
  private lastEventAt = 0;
  private events = 0;
  private readonly jsonChunks: Buffer[] = [];

  constructor(
    private readonly sentAt: number,
    private readonly eventStream: boolean,
  ) {}

  chunk(body: Buffer, now: number): void {
    if (!this.eventStream) {
      this.jsonChunks.push(body);
      return;
    }
    const events = body.toString('utf8').match(DATA_LINE)?.length ?? 0;
    if (events === 0) return;
    this.firstEventAt ??= now;
    this.lastEventAt = now;
    this.events += events;
  }

  /** TPOT in milliseconds once the body is complete; undefined when it cannot be told. */
  tpotMs(now: number): number | undefined {
    if (this.eventStream) return this.firstEventAt === undefined || this.events < 2 ? undefined : (this.lastEventAt - this.firstEventAt) / (this.events - 1);
    try {
      const tokens = (JSON.parse(Buffer.concat(this.jsonChunks).toString('utf8')) as { usage?: { completion_tokens?: unknown } }).usage?.completion_tokens;
      return typeof tokens === 'number' && tokens > 0 ? (now - this.sentAt) / tokens : undefined;
    } catch {
      return undefined;
    }
  }
}
