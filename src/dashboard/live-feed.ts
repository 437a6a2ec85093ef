import type http from 'node:http';
import type { RequestRecord, RequestStore } from './request-store.js';

/**
 * One request as the live table shows it: its columns and nothing else. The full record (prompt,
 * selection, accounting) and the routing explanation are fetched when a row is clicked
 * (`/dashboard/api/explain-request?id=<seq>`), so the feed costs the same whatever a record holds.
 */
export interface LiveRow {
  /** The record's `seq` in the request store: the row's key and the click's id. */
  readonly seq: number;
  readonly time: number;
  readonly requestId: string | null;
  readonly decision: string | null;
  readonly model: string | null;
  readonly signals?: Readonly<Record<string, readonly string[]>>;
  readonly blocked: boolean;
  readonly cached: boolean;
  readonly promptTokens?: number | null;
  readonly completionTokens?: number | null;
  readonly cost?: number | null;
  readonly routingMs: number | null;
  readonly upstreamMs: number | null;
  readonly status: number | null;
}

/** The data of one `records` event. */
export interface LiveBatch {
  /** The newest requests since the previous event, oldest first; at most {@link LIVE_ROWS_PER_BATCH}. */
  readonly rows: readonly LiveRow[];
  /** Requests that finished since this client's previous event, sent or not (the rate the page shows); `rows.length + skipped`. */
  readonly count: number;
  /**
   * Requests this client did not get as rows: those past the per-event bound, and those of events
   * skipped while the client read too slowly. Absent when none.
   */
  readonly skipped?: number;
}

/** How often the feed sends what arrived, as one event; batching keeps 1,000 req/s cheap. */
export const LIVE_BATCH_MS = 500;
/**
 * Rows per event at most (the newest): the page keeps this many, so sending more would only be
 * thrown away. At 1,000 req/s an event would otherwise carry 500.
 */
export const LIVE_ROWS_PER_BATCH = 100;
/** Records sent when a client connects. */
export const LIVE_BACKLOG = 100;
/** Past this much unsent output a client's events are skipped (and counted), never queued. */
const LIVE_MAX_BUFFERED_BYTES = 256 * 1024;
/** A client that stays backed up this long is cut (its EventSource reconnects with its cursor). */
const LIVE_STALL_MS = 30_000;

function liveRow(record: RequestRecord): LiveRow {
  const { entry } = record;
  return {
    seq: record.seq,
    time: record.time,
    requestId: entry.requestId,
    decision: entry.decision,
    model: entry.model,
    ...(entry.signals === undefined ? {} : { signals: entry.signals }),
    blocked: entry.blocked,
    cached: entry.cached,
    ...(entry.promptTokens === undefined ? {} : { promptTokens: entry.promptTokens }),
    ...(entry.completionTokens === undefined ? {} : { completionTokens: entry.completionTokens }),
    ...(entry.cost === undefined ? {} : { cost: entry.cost }),
    routingMs: entry.routingMs,
    upstreamMs: entry.upstreamMs,
    status: entry.status,
  };
}

function event(batch: LiveBatch): string {
  return `event: records\ndata: ${JSON.stringify(batch)}\n\n`;
}

interface LiveClient {
  readonly response: http.ServerResponse;
  /** Requests not sent to this client as rows since its last event. */
  skipped: number;
  /** When its output first went over the bound (0 while it keeps up). */
  backedUpSince: number;
}

/** How the live feed has fared since start (the dashboard's info shows it). */
export interface LiveFeedCounts {
  readonly clients: number;
  readonly events: number;
  readonly bytes: number;
  /** Rows not sent to a client: bounded per event, or skipped while it read too slowly. */
  readonly rowsSkipped: number;
  /** Clients cut for staying backed up for {@link LIVE_STALL_MS}. */
  readonly clientsCut: number;
}

/**
 * The live table's SSE feed. Keeps only the newest {@link LIVE_ROWS_PER_BATCH} records between
 * events (a ring, O(1) per request), and every {@link LIVE_BATCH_MS} turns them into one compact
 * event written to every client. A client that reads too slowly has events skipped and counted,
 * never buffered without bound, and the gateway never waits on it.
 */
export class LiveFeed {
  private readonly clients = new Set<LiveClient>();
  private readonly newest: (RequestRecord | undefined)[] = new Array<RequestRecord | undefined>(LIVE_ROWS_PER_BATCH);
  private arrived = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private counts = { events: 0, bytes: 0, rowsSkipped: 0, clientsCut: 0 };

  constructor(private readonly store: RequestStore) {
    this.unsubscribe = store.subscribe((record) => {
      if (this.clients.size === 0) return;
      this.newest[this.arrived % LIVE_ROWS_PER_BATCH] = record;
      this.arrived++;
    });
    this.timer = setInterval(() => this.flush(Date.now()), LIVE_BATCH_MS);
    this.timer.unref();
  }

  /** Answers a `GET …/live?since=SEQ`: the stored records after `since` (newest {@link LIVE_BACKLOG}), then the feed. */
  serve(request: http.IncomingMessage, response: http.ServerResponse, since: number): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const backlog = this.store.records({ since });
    const rows = backlog.slice(-LIVE_BACKLOG).map(liveRow);
    const skipped = backlog.length - rows.length;
    response.write(event({ rows, count: backlog.length, ...(skipped > 0 ? { skipped } : {}) }));
    const client: LiveClient = { response, skipped: 0, backedUpSince: 0 };
    this.clients.add(client);
    request.on('close', () => this.clients.delete(client));
  }

  /** Sends what arrived since the last event (the timer calls it; public for tests). */
  flush(now: number): void {
    const count = this.arrived;
    if (count === 0 || this.clients.size === 0) {
      this.arrived = 0;
      return;
    }
    const kept = Math.min(count, LIVE_ROWS_PER_BATCH);
    const rows: LiveRow[] = [];
    for (let i = count - kept; i < count; i++) rows.push(liveRow(this.newest[i % LIVE_ROWS_PER_BATCH]!));
    this.newest.fill(undefined);
    this.arrived = 0;
    const bounded = count - kept;
    const shared = event({ rows, count, ...(bounded > 0 ? { skipped: bounded } : {}) });
    for (const client of this.clients) this.send(client, count, bounded, rows, shared, now);
  }

  private send(client: LiveClient, count: number, bounded: number, rows: readonly LiveRow[], shared: string, now: number): void {
    const { response } = client;
    if (response.writableLength > LIVE_MAX_BUFFERED_BYTES) {
      client.skipped += count;
      this.counts.rowsSkipped += count;
      if (client.backedUpSince === 0) client.backedUpSince = now;
      else if (now - client.backedUpSince > LIVE_STALL_MS) {
        this.clients.delete(client);
        this.counts.clientsCut++;
        response.destroy();
      }
      return;
    }
    client.backedUpSince = 0;
    this.counts.rowsSkipped += bounded;
    const text = client.skipped === 0 ? shared : event({ rows, count: count + client.skipped, skipped: bounded + client.skipped });
    client.skipped = 0;
    this.counts.events++;
    this.counts.bytes += text.length;
    response.write(text);
  }

  stats(): LiveFeedCounts {
    return { clients: this.clients.size, ...this.counts };
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    for (const client of this.clients) client.response.end();
    this.clients.clear();
  }
}
