import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { parseEndpointAddress } from '../config/endpoint-address.js';

/** Where a model's stand-in listens. */
export interface StubAddress {
  readonly host: string;
  readonly port: number;
}

/** How {@link pointModelsAtStubs} rewrites a config. */
export interface StubConfigOptions {
  /** The stand-in of each model, by model name; a model missing here keeps its endpoints. */
  readonly stubs: ReadonlyMap<string, StubAddress>;
  /**
   * Keep each endpoint's path prefix ("/v1beta/openai"), so the stand-in sees the path the
   * real provider would; off, the stand-in is addressed as a plain OpenAI server.
   */
  readonly keepPathPrefix: boolean;
  /** Replace `listeners:` with one loopback listener, for a run that must not bind public ports. */
  readonly loopbackListener?: boolean;
}

function endpointPathPrefix(endpoint: YAMLMap): string {
  const text = endpoint.get('endpoint');
  const protocol = endpoint.get('protocol') === 'https' ? 'https' : 'http';
  if (typeof text !== 'string') return '';
  const parsed = parseEndpointAddress(text, protocol);
  return parsed.ok ? parsed.address.pathPrefix : '';
}

/**
 * A copy of a config's YAML text whose model endpoints all point at local stand-ins over plain
 * HTTP. Everything else (comments, signals, decisions, keys, pricing) stays as written, so the
 * copy routes exactly as the original would.
 */
export function pointModelsAtStubs(text: string, options: StubConfigOptions): string {
  const document = parseDocument(text);
  const models = document.getIn(['providers', 'models']);
  if (isSeq(models)) {
    for (const model of models.items) {
      if (!isMap(model)) continue;
      const stub = options.stubs.get(String(model.get('name')));
      const endpoints = model.get('endpoints');
      if (stub === undefined || !isSeq(endpoints)) continue;
      for (const endpoint of endpoints.items) {
        if (!isMap(endpoint)) continue;
        const prefix = options.keepPathPrefix ? endpointPathPrefix(endpoint) : '';
        endpoint.set('endpoint', `${stub.host}:${stub.port}${prefix}`);
        endpoint.set('protocol', 'http');
      }
    }
  }
  if (options.loopbackListener === true) {
    // The port is a placeholder (the schema wants 1-65535); runs override it with a free one.
    document.set('listeners', [{ name: 'loopback', address: '127.0.0.1', port: 8899 }]);
  }
  return document.toString();
}

/** A config copy on disk, in a folder of its own that `remove()` deletes. */
export interface ConfigCopy {
  readonly path: string;
  remove(): Promise<void>;
}

/** Writes a config text to a fresh temporary folder. */
export async function writeConfigCopy(text: string, fileName = 'config.yaml'): Promise<ConfigCopy> {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-'));
  const file = path.join(dir, fileName);
  await writeFile(file, text);
  return { path: file, remove: () => rm(dir, { recursive: true, force: true }) };
}
