import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { CLOUD_MODEL, startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';
import { captureLog } from '../helpers/log-capture.js';

/** What a local OTLP/HTTP (JSON) collector received. */
interface Collector {
  readonly url: string;
  readonly posts: { path: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const posts: { path: string; body: Record<string, unknown> }[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      posts.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: { key: string; value: Record<string, unknown> }[];
}

function spansOf(collector: Collector): OtlpSpan[] {
  return collector.posts
    .filter((post) => post.path === '/v1/traces')
    .flatMap((post) => (post.body['resourceSpans'] as { scopeSpans: { spans: OtlpSpan[] }[] }[]).flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
}

function attribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}

async function eventually<T>(probe: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One metric of an OTLP/HTTP JSON export, with the data of whichever kind it is. */
interface OtlpMetric {
  readonly name: string;
  readonly sum?: { isMonotonic?: boolean; dataPoints: OtlpPoint[] };
  readonly gauge?: { dataPoints: OtlpPoint[] };
  readonly histogram?: { dataPoints: OtlpPoint[] };
}

interface OtlpPoint {
  readonly attributes?: { key: string; value: Record<string, unknown> }[];
  readonly asDouble?: number;
  readonly asInt?: number | string;
  readonly count?: number | string;
  readonly bucketCounts?: (number | string)[];
  readonly explicitBounds?: number[];
}

/** The metrics of the latest OTLP metrics export (cumulative, so the latest holds every total). */
function latestMetrics(collector: Collector): OtlpMetric[] {
  const post = collector.posts.filter((candidate) => candidate.path === '/v1/metrics').at(-1);
  if (post === undefined) return [];
  return (post.body['resourceMetrics'] as { scopeMetrics: { metrics: OtlpMetric[] }[] }[]).flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
}

function pointLabels(point: OtlpPoint): Record<string, unknown> {
  return Object.fromEntries((point.attributes ?? []).map((entry) => [entry.key, Object.values(entry.value)[0]]));
}

/** Metric families a Prometheus scrape declares, by `# TYPE` line, with their type. */
function scrapedFamilies(scrape: string): { name: string; type: string }[] {
  return [...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => ({ name: match[1]!, type: match[2]! }));
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

describe('traces and metrics leave over OTLP/HTTP to a collector the test runs', () => {
  let collector: Collector;
  let stack: E2eStack;

  beforeAll(async () => {
    collector = await startCollector();
    stack = await startE2eStack({
      observability: {
        tracing: { enabled: true, exporter: { endpoint: `${collector.url}/v1/traces` }, sampling: { type: 'always_on' } },
        metrics: { otlp_endpoint: `${collector.url}/v1/metrics`, export_interval: '1s' },
      },
    });
  });
  afterAll(async () => {
    await stack.close();
    await collector.close();
  });

  it('sends a span tree per request, joined to the client trace, and passes the upstream span on in traceparent', async () => {
    await stack.client.chat.completions.create(
      { model: 'auto', messages: [{ role: 'user', content: 'Prove by induction that 1+2+...+n = n(n+1)/2.' }] },
      { headers: { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01`, 'x-request-id': 'traced-1' } },
    );
    const spans = await eventually(() => {
      const found = spansOf(collector).filter((span) => span.traceId === TRACE_ID);
      return found.some((span) => span.name === 'upstream') && found.some((span) => span.parentSpanId === CLIENT_SPAN) ? found : undefined;
    }, 'the request spans');
    const root = spans.find((span) => span.parentSpanId === CLIENT_SPAN)!;
    expect(root).toMatchObject({ name: 'POST /v1/chat/completions', kind: 2 });
    expect(attribute(root, 'switchyard.decision')).toBe('reasoning-route');
    expect(attribute(root, 'gen_ai.request.model')).toBe(CLOUD_MODEL);
    expect(Number(attribute(root, 'gen_ai.usage.input_tokens'))).toBeGreaterThan(0);
    const child = (name: string, parent: OtlpSpan): OtlpSpan => {
      const found = spans.find((span) => span.name === name && span.parentSpanId === parent.spanId);
      if (found === undefined) throw new Error(`no ${name} span under ${parent.name}: ${JSON.stringify(spans.map((s) => [s.name, s.spanId, s.parentSpanId]))}`);
      return found;
    };
    const routing = child('routing', root);
    const signals = child('signals', routing);
    expect(attribute(child('signal', signals), 'switchyard.signal.type')).toBe('keyword');
    child('decision', routing);
    child('model_selection', routing);
    const upstream = child('upstream', root);
    expect(upstream.kind).toBe(3);
    const sent = stack.cloud.requests.at(-1)!.headers['traceparent'];
    expect(sent).toBe(`00-${TRACE_ID}-${upstream.spanId}-01`);
  });

  it('pushes the request metrics over OTLP and serves them on the admin /metrics', async () => {
    await eventually(() => (JSON.stringify(collector.posts.filter((post) => post.path === '/v1/metrics')).includes('llm_model_requests') ? true : undefined), 'an OTLP metrics export');
    const scrape = await (await fetch(`http://127.0.0.1:${stack.switchyard.ports.admin}/metrics`)).text();
    expect(scrape).toMatch(/llm_model_requests_total\{model="gemini-2.5-pro",decision="reasoning-route",response_path="upstream"\} 1/);
    expect(scrape).toMatch(/llm_model_cost_total\{model="gemini-2.5-pro",decision="reasoning-route",currency="USD"\} \d/);
    expect(scrape).toContain('gen_ai_client_token_usage_bucket');
    // The older families are still there.
    expect(scrape).toContain('switchyard_requests_total{decision="reasoning-route",model="gemini-2.5-pro"} 1');
  });

  it('exports every family /metrics serves over OTLP too, the prom-client ones included, each registered once', async () => {
    const exported = await eventually(() => {
      const metrics = latestMetrics(collector);
      return metrics.some((metric) => metric.name === 'switchyard_requests') ? metrics : undefined;
    }, 'an OTLP export with the prom-client families');
    const scrape = await (await fetch(`http://127.0.0.1:${stack.switchyard.ports.admin}/metrics`)).text();
    const families = scrapedFamilies(scrape);
    // No family is declared twice on /metrics: the bridge feeds only the OTLP reader.
    expect(families.length).toBe(new Set(families.map((family) => family.name)).size);
    // A collector's Prometheus exporter adds `_total` to monotonic sums and writes dots as underscores.
    const exportedNames = new Set(exported.map((metric) => metric.name.replaceAll('.', '_')));
    const missing = families.filter(({ name, type }) => !exportedNames.has(type === 'counter' ? name.replace(/_total$/, '') : name));
    expect(missing).toEqual([]);
    expect(families.length).toBeGreaterThan(40);

    const byName = (name: string): OtlpMetric => exported.find((metric) => metric.name === name)!;
    const requests = byName('switchyard_requests').sum!;
    expect(requests.isMonotonic).toBe(true);
    const routed = requests.dataPoints.find((point) => pointLabels(point)['decision'] === 'reasoning-route');
    expect(pointLabels(routed!)).toEqual({ decision: 'reasoning-route', model: 'gemini-2.5-pro' });
    expect(routed!.asDouble).toBe(1);
    // A prom-client histogram: cumulative `le` buckets become per-bucket counts that add up to the count.
    const routing = byName('switchyard_routing_duration_seconds').histogram!.dataPoints[0]!;
    expect(Number(routing.count)).toBeGreaterThanOrEqual(1);
    expect(routing.explicitBounds).toEqual([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]);
    expect(routing.bucketCounts!.reduce((sum: number, count) => sum + Number(count), 0)).toBe(Number(routing.count));
    expect(routing.bucketCounts!.every((count) => Number(count) >= 0)).toBe(true);
    // Gauges from the gateway's and the process's registries.
    expect(byName('switchyard_gateway_requests_in_flight').gauge!.dataPoints).toHaveLength(1);
    expect(byName('process_resident_memory_bytes').gauge!.dataPoints[0]!.asDouble).toBeGreaterThan(1e6);
  });
});

describe('a collector that is down', () => {
  it('neither fails nor holds requests; failures are counted and logged once a minute at most', async () => {
    const gone = await startCollector();
    await gone.close();
    const log = captureLog('warn');
    const stack = await startE2eStack({
      logger: log.logger,
      observability: {
        tracing: { enabled: true, exporter: { endpoint: `${gone.url}/v1/traces` } },
        metrics: { otlp_endpoint: `${gone.url}/v1/metrics`, export_interval: '1s' },
      },
    });
    try {
      for (let i = 0; i < 5; i += 1) {
        const answer = await stack.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: `Implement function number ${i}.` }] });
        expect(answer.choices[0]!.message.content).toContain('stub');
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
      const metricsFailures = async (): Promise<number> => {
        const scrape = await (await fetch(`http://127.0.0.1:${stack.switchyard.ports.admin}/metrics`)).text();
        return Number(/switchyard_telemetry_export_failures_total\{signal="metrics"\} (\d+)/.exec(scrape)?.[1] ?? 0);
      };
      expect(await metricsFailures()).toBeGreaterThanOrEqual(2);
      const warnings = log.lines.filter((line) => String(line['msg']).startsWith('OTLP metrics export failed'));
      expect(warnings).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });
});
