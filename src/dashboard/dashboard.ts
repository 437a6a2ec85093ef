import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { findPackageRoot } from '../cli/package-root.js';
import { explainRoute } from '../cli/commands/route-explanation.js';
import { promptBody, REQUEST_HEADERS, routePrompt } from '../cli/commands/route.js';
import type { ConfigEnvironment } from '../config/env-expansion.js';
import { loadConfigText } from '../config/load.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { ConfigStore } from '../config/watch.js';
import type { AdminRoute } from '../telemetry/admin-server.js';
import type { RouterLogger } from '../telemetry/logger.js';
import { ConfigEditor, type ApplyOutcome } from './config-editor.js';
import { compileDashboard, type DashboardSettings } from './dashboard-settings.js';
import { modelsView } from './models-view.js';
import { replayRecords } from './replay.js';
import { LiveFeed } from './live-feed.js';
import { RequestStore, type RequestRecord } from './request-store.js';
import { summariseSavings } from './savings-summary.js';
import { refuseWrite, writeToken } from './write-access.js';

/** Where the pages live on the admin server. */
export const DASHBOARD_PATH = '/dashboard/';
const API = '/dashboard/api';

/** Folder of the built UI (`make build` writes it); relative to the package root. */
export const DASHBOARD_UI_DIR = path.join('dist', 'dashboard-ui');

/** What the dashboard needs from the running stack. */
export interface DashboardOptions {
  readonly store: ConfigStore;
  /** The config file `serve` watches; applying edits needs it. */
  readonly watchPath: string | undefined;
  /** Variables for `${VAR}` expansion, as the watcher uses them; SWITCHYARD_DASHBOARD_TOKEN is read from here too. */
  readonly env: ConfigEnvironment;
  /** The first gateway listener's base URL, once it listens (for playground sends). */
  readonly gatewayUrl: () => string | undefined;
  readonly logger: RouterLogger;
  /** Folder of the built UI; defaults to the package's. */
  readonly uiDir?: string;
}

/** A running dashboard: JSON routes for the admin server, a handler for what is not JSON (pages, SSE, sends). */
export interface Dashboard {
  readonly routes: readonly AdminRoute[];
  /** Serves pages, assets, the live SSE feed and playground sends; false when the path is not the dashboard's. */
  handle(request: http.IncomingMessage, response: http.ServerResponse, pathname: string, query: URLSearchParams): boolean;
  readonly requests: RequestStore;
  close(): Promise<void>;
}

const DEFAULT_SETTINGS: DashboardSettings = compileDashboard({ enabled: true, show_prompts: false, show_access_keys: false, replay: { capacity: 5000, store: 'memory', redis: { url: 'redis://127.0.0.1:6379/0', key: 'switchyard:dashboard:requests' } } });

/** Records `GET …/requests` returns without a `limit`. */
const DEFAULT_REQUESTS_LIMIT = 200;
const MAX_REPLAY = 2000;
const MAX_SEND_BYTES = 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

function settingsOf(config: RuntimeConfig): DashboardSettings {
  return config.dashboard ?? DEFAULT_SETTINGS;
}

/** A record as the pages get it: prompt text only when `dashboard.show_prompts` is on. */
function shown(record: RequestRecord, showPrompts: boolean): RequestRecord {
  if (showPrompts || record.entry.prompt === undefined) return record;
  const { prompt: _hidden, ...entry } = record.entry;
  return { ...record, entry };
}

function errorBody(code: string, message: string, param: string | null = null): { error: { message: string; type: string; param: string | null; code: string } } {
  return { error: { message, type: 'invalid_request_error', param, code } };
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The conversation a playground body carries: `messages`, or `prompt` as one user message. */
function conversation(body: Record<string, unknown>): unknown[] | undefined {
  if (Array.isArray(body['messages']) && body['messages'].length > 0) return body['messages'];
  if (typeof body['prompt'] === 'string' && body['prompt'] !== '') return [{ role: 'user', content: body['prompt'] }];
  return undefined;
}

function applyReply(outcome: ApplyOutcome): { status: number; body: unknown } {
  switch (outcome.status) {
    case 'applied':
    case 'unchanged':
      return { status: 200, body: outcome };
    case 'invalid':
      return { status: 422, body: { ...errorBody('config_invalid', 'the config has errors; nothing was applied'), diagnostics: outcome.diagnostics } };
    case 'no-history':
      return { status: 409, body: errorBody('no_history', outcome.message) };
    case 'timeout':
      return { status: 503, body: errorBody('reload_not_confirmed', outcome.message) };
  }
}

/**
 * Starts the web dashboard (issue 18) on the admin server: the built pages under `/dashboard/`
 * and their JSON API under `/dashboard/api/`. Reads need nothing (the admin server binds
 * loopback by default); writes need the bearer token of `dashboard.token` or
 * SWITCHYARD_DASHBOARD_TOKEN, and without one the dashboard is read-only. Settings are read
 * from the config in force on each request, except `enabled` and the record store's, which
 * apply at start.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { store } = options;
  const settings = (): DashboardSettings => settingsOf(store.current());
  const requests = await RequestStore.open(settings().replay, options.logger);
  const editor = new ConfigEditor(store, options.watchPath, options.env, () => settings().showAccessKeys);
  const uiDir = options.uiDir ?? path.join(findPackageRoot(), DASHBOARD_UI_DIR);
  const live = new LiveFeed(requests);
  const refused = (authorization: string | undefined) => refuseWrite(writeToken(settings(), options.env), authorization);

  const routes: AdminRoute[] = [
    {
      method: 'GET',
      path: `${API}/info`,
      async handle() {
        const config = store.current();
        return {
          status: 200,
          body: {
            version: config.version,
            writable: writeToken(settings(), options.env) !== undefined,
            showPrompts: settings().showPrompts,
            promptsRecorded: config.router.logPrompts,
            replayStore: settings().replay.store,
            capacity: requests.capacity,
            gateway: options.gatewayUrl() ?? null,
            autoModel: config.router.primaryAutoModelName,
            live: live.stats(),
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${API}/requests`,
      async handle(request) {
        const limit = Number(request.query.get('limit') ?? DEFAULT_REQUESTS_LIMIT);
        const records = requests.records({ limit: Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_REQUESTS_LIMIT });
        return { status: 200, body: { records: records.map((record) => shown(record, settings().showPrompts)) } };
      },
    },
    {
      method: 'GET',
      path: `${API}/explain-request`,
      async handle(request) {
        const id = request.query.get('id') ?? '';
        const record = requests.find(id);
        if (record === undefined) return { status: 404, body: errorBody('request_not_found', `no stored request "${id}"`, 'id') };
        const config = store.current();
        const { entry } = record;
        const recorded = shown(record, settings().showPrompts);
        if (entry.prompt === undefined) return { status: 200, body: { record: recorded, explanation: null, note: 'the prompt was not recorded (router.log_prompts is off), so only the recorded routing is shown' } };
        const body = promptBody(config, { id: record.seq, messages: [{ role: 'user', content: entry.prompt }], source: id });
        const explanation = await explainRoute(config, body, REQUEST_HEADERS, { decision: entry.decision, selection: entry.selection === undefined ? undefined : { ...entry.selection, model: entry.model ?? '' } });
        return { status: 200, body: { record: recorded, explanation, note: 'explained against the config in force now' } };
      },
    },
    {
      method: 'POST',
      path: `${API}/explain`,
      async handle(request) {
        const body = parseJson(request.body);
        const messages = body === undefined ? undefined : conversation(body);
        if (messages === undefined) return { status: 400, body: errorBody('invalid_request', 'send {"prompt": "..."} or {"messages": [...]}', 'messages') };
        const config = store.current();
        const prompt = { id: 1, messages, source: 'playground' };
        const line = await routePrompt(config, prompt);
        if (line instanceof Error) return { status: 400, body: errorBody('not_routable', line.message.replace(/^playground: /, ''), 'messages') };
        const explanation = await explainRoute(config, promptBody(config, prompt), REQUEST_HEADERS, line);
        return { status: 200, body: { route: line, explanation } };
      },
    },
    {
      method: 'GET',
      path: `${API}/savings`,
      async handle(request) {
        return { status: 200, body: summariseSavings(requests.records(), store.current().models, request.query.get('window') ?? '15m', Date.now()) };
      },
    },
    {
      method: 'GET',
      path: `${API}/models`,
      async handle() {
        return { status: 200, body: modelsView(store.current(), requests.records(), settings().showAccessKeys) };
      },
    },
    {
      method: 'GET',
      path: `${API}/config`,
      async handle() {
        return { status: 200, body: await editor.running() };
      },
    },
    {
      method: 'POST',
      path: `${API}/config/check`,
      async handle(request) {
        const body = parseJson(request.body);
        if (typeof body?.['text'] !== 'string') return { status: 400, body: errorBody('invalid_request', 'send {"text": "<the config YAML>"}', 'text') };
        return { status: 200, body: await editor.check(body['text']) };
      },
    },
    {
      method: 'POST',
      path: `${API}/config/apply`,
      async handle(request) {
        const denied = refused(request.authorization);
        if (denied !== undefined) return denied;
        const body = parseJson(request.body);
        if (typeof body?.['text'] !== 'string') return { status: 400, body: errorBody('invalid_request', 'send {"text": "<the config YAML>"}', 'text') };
        const outcome = await editor.apply(body['text']);
        options.logger.info({ outcome: outcome.status }, 'dashboard: config apply');
        return applyReply(outcome);
      },
    },
    {
      method: 'POST',
      path: `${API}/config/rollback`,
      async handle(request) {
        const denied = refused(request.authorization);
        if (denied !== undefined) return denied;
        const outcome = await editor.rollback();
        options.logger.info({ outcome: outcome.status }, 'dashboard: config rollback');
        return applyReply(outcome);
      },
    },
    {
      method: 'POST',
      path: `${API}/replay`,
      async handle(request) {
        const denied = refused(request.authorization);
        if (denied !== undefined) return denied;
        const body = parseJson(request.body) ?? {};
        const limit = typeof body['limit'] === 'number' && body['limit'] > 0 ? Math.min(MAX_REPLAY, Math.floor(body['limit'])) : 200;
        const records = requests.records({ limit });
        if (typeof body['config'] !== 'string') return { status: 200, body: { against: 'current', ...(await replayRecords(store.current(), records, settings().showPrompts)) } };
        const path = options.watchPath ?? store.current().sourcePath;
        const { config, diagnostics } = await loadConfigText(body['config'], path, { env: options.env });
        if (config === undefined) return { status: 422, body: { ...errorBody('config_invalid', 'the edited config has errors'), diagnostics } };
        try {
          return { status: 200, body: { against: 'edited', ...(await replayRecords(config, records, settings().showPrompts)) } };
        } finally {
          await config.close();
        }
      },
    },
  ];

  const serveSend = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const denied = refused(request.headers.authorization);
    const fail = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (denied !== undefined) {
      request.resume();
      fail(denied.status, denied.body);
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_SEND_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (bytes > MAX_SEND_BYTES) return fail(413, errorBody('request_too_large', `the body is larger than ${MAX_SEND_BYTES} bytes`));
      const body = parseJson(Buffer.concat(chunks));
      const messages = body === undefined ? undefined : conversation(body);
      const gateway = options.gatewayUrl();
      if (messages === undefined) return fail(400, errorBody('invalid_request', 'send {"prompt": "..."} or {"messages": [...]}', 'messages'));
      if (gateway === undefined) return fail(503, errorBody('no_gateway', 'this process runs no built-in gateway to send through'));
      const abort = new AbortController();
      response.on('close', () => abort.abort());
      fetch(`${gateway}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: store.current().router.primaryAutoModelName, messages, stream: true }),
        signal: abort.signal,
      }).then(
        (upstream) => {
          const headers: Record<string, string> = { 'content-type': upstream.headers.get('content-type') ?? 'text/event-stream', 'cache-control': 'no-store' };
          for (const [name, value] of upstream.headers) if (name.startsWith('x-vsr-') || name === 'x-request-id') headers[name] = value;
          response.writeHead(upstream.status, headers);
          if (upstream.body === null) response.end();
          else Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream).on('error', () => response.destroy()).pipe(response);
        },
        (error: Error) => {
          if (!response.headersSent) fail(502, errorBody('gateway_unreachable', `the gateway did not answer: ${error.message}`));
        },
      );
    });
  };

  const serveAsset = (response: http.ServerResponse, file: string): void => {
    const resolved = path.join(uiDir, file);
    if (!resolved.startsWith(uiDir + path.sep) || !existsSync(resolved)) {
      const missing = file === 'index.html' ? `the dashboard is not built: run \`make build\` (looked in ${uiDir})\n` : 'not found\n';
      response.writeHead(404, { 'content-type': 'text/plain' }).end(missing);
      return;
    }
    readFile(resolved).then(
      (content) => response.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': content.length, 'cache-control': 'no-cache' }).end(content),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('cannot read the asset\n'),
    );
  };

  return {
    routes,
    requests,
    handle(request, response, pathname, query) {
      if (pathname === '/dashboard') {
        response.writeHead(308, { location: DASHBOARD_PATH }).end();
        return true;
      }
      if (!pathname.startsWith(DASHBOARD_PATH)) return false;
      if (pathname === `${API}/live` && request.method === 'GET') live.serve(request, response, Number(query.get('since') ?? '0') || 0);
      else if (pathname === `${API}/send` && request.method === 'POST') serveSend(request, response);
      else if (pathname.startsWith(`${API}/`)) return false;
      else if (request.method !== 'GET' && request.method !== 'HEAD') response.writeHead(405, { 'content-type': 'text/plain' }).end('use GET\n');
      else serveAsset(response, pathname === DASHBOARD_PATH ? 'index.html' : pathname.slice(DASHBOARD_PATH.length));
      return true;
    },
    async close() {
      live.close();
      await requests.close();
    },
  };
}
