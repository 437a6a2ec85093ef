import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'kubernetes');
const LIST_TEMPLATE = JSON.parse(readFileSync(path.join(FIXTURES, 'list.json'), 'utf8')) as Record<string, unknown>;
const EXPIRED_EVENT = JSON.parse(readFileSync(path.join(FIXTURES, 'expired-watch-event.json'), 'utf8')) as { type: string; object: Record<string, unknown> };

type Json = Record<string, any>;

interface Watcher {
  readonly plural: string;
  readonly response: ServerResponse;
}

const KINDS: Readonly<Record<string, string>> = { semanticrouters: 'SemanticRouter', intelligentpools: 'IntelligentPool', intelligentroutes: 'IntelligentRoute' };

/**
 * A loopback server that speaks the Kubernetes API's list/watch protocol for Switchyard's
 * custom resources in one namespace: the one stand-in for an API server (none can run here).
 * It keeps a global resourceVersion, streams ADDED/MODIFIED/DELETED events to open watches,
 * merges status patches, and can drop every watch or expire old versions (410) on demand.
 */
export class FakeKubernetesApi {
  private readonly server: Server;
  private readonly objects = new Map<string, Map<string, Json>>();
  private readonly watchers = new Set<Watcher>();
  private resourceVersion = 100;
  /** Watches asking for a version below this get the 410 `Expired` event. */
  private oldestWatchable = 0;
  readonly statusPatches: { plural: string; name: string; body: Json }[] = [];
  readonly requests: string[] = [];

  constructor(private readonly namespace: string) {
    this.server = createServer((request, response) => this.handle(request, response));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Creates or replaces an object (bumping generation on a spec change), as `kubectl apply` would. */
  apply(plural: string, name: string, spec: Json): void {
    const store = this.store(plural);
    const existing = store.get(name);
    this.resourceVersion += 1;
    const object: Json = {
      apiVersion: 'switchyard.io/v1alpha1',
      kind: KINDS[plural],
      metadata: { name, namespace: this.namespace, uid: `uid-${plural}-${name}`, generation: (existing?.metadata.generation ?? 0) + 1, resourceVersion: String(this.resourceVersion) },
      spec,
      ...(existing?.status && { status: existing.status }),
    };
    store.set(name, object);
    this.broadcast(plural, existing === undefined ? 'ADDED' : 'MODIFIED', object);
  }

  remove(plural: string, name: string): void {
    const object = this.store(plural).get(name);
    if (object === undefined) return;
    this.store(plural).delete(name);
    this.resourceVersion += 1;
    this.broadcast(plural, 'DELETED', { ...object, metadata: { ...object.metadata, resourceVersion: String(this.resourceVersion) } });
  }

  get(plural: string, name: string): Json | undefined {
    return this.store(plural).get(name);
  }

  /** Ends every open watch stream, as an API server does at its watch timeout or on restart. */
  dropWatches(): void {
    for (const watcher of this.watchers) watcher.response.end();
    this.watchers.clear();
  }

  /** Compacts history: later watches from an older version get 410 and must re-list. */
  expireVersionsBefore(version: number = this.resourceVersion + 1): void {
    this.oldestWatchable = version;
  }

  openWatches(): number {
    return this.watchers.size;
  }

  private store(plural: string): Map<string, Json> {
    let store = this.objects.get(plural);
    if (store === undefined) this.objects.set(plural, (store = new Map()));
    return store;
  }

  private broadcast(plural: string, type: string, object: Json): void {
    for (const watcher of this.watchers) if (watcher.plural === plural) watcher.response.write(`${JSON.stringify({ type, object })}\n`);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    this.requests.push(`${request.method} ${url.pathname}${url.search}`);
    const prefix = `/apis/switchyard.io/v1alpha1/namespaces/${this.namespace}/`;
    if (!url.pathname.startsWith(prefix)) return this.status(response, 404, 'NotFound', `no such path ${url.pathname}`);
    const [plural, name, subresource] = url.pathname.slice(prefix.length).split('/');
    if (plural === undefined || KINDS[plural] === undefined) return this.status(response, 404, 'NotFound', `unknown resource ${plural}`);
    if (request.method === 'GET' && name === undefined && url.searchParams.get('watch') === 'true') return this.watch(plural, url, response);
    if (request.method === 'GET' && name === undefined) {
      const list = { ...LIST_TEMPLATE, kind: `${KINDS[plural]}List`, metadata: { continue: '', resourceVersion: String(this.resourceVersion) }, items: [...this.store(plural).values()] };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
      return;
    }
    if (request.method === 'PATCH' && name !== undefined && subresource === 'status') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const object = this.store(plural).get(name);
        if (object === undefined) return this.status(response, 404, 'NotFound', `${plural} "${name}" not found`);
        if (!String(request.headers['content-type']).startsWith('application/merge-patch+json')) return this.status(response, 415, 'UnsupportedMediaType', 'expected a merge patch');
        const patch = JSON.parse(body) as Json;
        this.statusPatches.push({ plural, name, body: patch });
        this.resourceVersion += 1;
        const updated = { ...object, status: { ...(object.status ?? {}), ...patch.status }, metadata: { ...object.metadata, resourceVersion: String(this.resourceVersion) } };
        this.store(plural).set(name, updated);
        this.broadcast(plural, 'MODIFIED', updated);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(updated));
      });
      return;
    }
    this.status(response, 405, 'MethodNotAllowed', `${request.method} not supported here`);
  }

  private watch(plural: string, url: URL, response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    if (from < this.oldestWatchable) {
      const event = { ...EXPIRED_EVENT, object: { ...EXPIRED_EVENT.object, message: `too old resource version: ${from} (${this.oldestWatchable})` } };
      response.end(`${JSON.stringify(event)}\n`);
      return;
    }
    const watcher = { plural, response };
    this.watchers.add(watcher);
    response.on('close', () => this.watchers.delete(watcher));
    // Objects changed after the version the client listed are sent first, as etcd history would.
    for (const object of this.store(plural).values()) if (Number(object.metadata.resourceVersion) > from) response.write(`${JSON.stringify({ type: 'MODIFIED', object })}\n`);
  }

  private status(response: ServerResponse, code: number, reason: string, message: string): void {
    response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
  }
}
