import type { AdminRoute } from './admin-server.js';
import type { RequestLogEntry, RequestRecordSink } from './request-log.js';

/** A request's record with when it ended (epoch milliseconds), as the access log's `time`. */
export type TimedRequestRecord = RequestLogEntry & { readonly time: number };

/** How many records the admin endpoint keeps (the oldest go first). */
const DEFAULT_CAPACITY = 10_000;

/**
 * The last requests' records in memory, for `GET /api/v1/requests?since=<epoch ms>` on the admin
 * port: what `switchyard report --admin` and dashboards read from a running instance.
 */
export class RecentRequests implements RequestRecordSink {
  private readonly ring: TimedRequestRecord[] = [];
  private next = 0;

  constructor(
    private readonly capacity = DEFAULT_CAPACITY,
    private readonly now: () => number = Date.now,
  ) {}

  record(entry: RequestLogEntry): void {
    const timed = { ...entry, time: this.now() };
    if (this.ring.length < this.capacity) this.ring.push(timed);
    else this.ring[this.next] = timed;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Records that ended at or after `since`, oldest first. */
  since(since: number): TimedRequestRecord[] {
    const ordered = this.ring.length < this.capacity ? this.ring : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.filter((record) => record.time >= since);
  }

  route(): AdminRoute {
    return {
      method: 'GET',
      path: '/api/v1/requests',
      handle: async ({ query }) => {
        const since = Number(query.get('since') ?? '0');
        if (!Number.isFinite(since)) return { status: 400, body: { error: { message: 'since must be epoch milliseconds', type: 'invalid_request_error', param: 'since', code: 'invalid_since' } } };
        return { status: 200, body: { object: 'list', data: this.since(since) } };
      },
    };
  }
}

/** The records a running instance kept, from its admin address (`http://host:port`). */
export async function fetchRecentRequests(admin: string, since: number): Promise<TimedRequestRecord[]> {
  const url = new URL('/api/v1/requests', admin);
  url.searchParams.set('since', String(since));
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.href} answered ${response.status}`);
  return ((await response.json()) as { data: TimedRequestRecord[] }).data;
}
