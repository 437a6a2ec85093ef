import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import type { ChatRouter } from '../../src/extproc/stream-processor.js';
import { routeChatCompletion } from '../../src/router/route-request.js';
import { loadConfigOrThrow } from '../helpers/config-fixture.js';
import { ExtProcTestClient, requestHeadersMessage } from '../helpers/extproc-client.js';
import { captureLog } from '../helpers/log-capture.js';

const BODY = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'What is a Python decorator?' }] });

async function until(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 300 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * Envoy resets every ext_proc stream after its last reply; the sidecar stops routing work on a
 * reset only while a reply is still owed (an abort after the last reply would stop nothing).
 */
describe('ext_proc stream reset by Envoy', () => {
  let config: RuntimeConfig;
  let server: ExtProcServer;
  let client: ExtProcTestClient;
  /** The abort signal of every routing call, in order. */
  const signals: AbortSignal[] = [];
  /** Holds routing until released, so a reset can land mid-routing. */
  let holdRouting: Promise<void> = Promise.resolve();
  const log = captureLog('warn');

  beforeAll(async () => {
    config = await loadConfigOrThrow();
    const route: ChatRouter = async (snapshot, body, headers, abort, random) => {
      signals.push(abort);
      await Promise.race([holdRouting, new Promise((resolve) => abort.addEventListener('abort', resolve, { once: true }))]);
      return routeChatCompletion(snapshot, body, headers, abort, random);
    };
    server = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: log.logger, route });
    client = new ExtProcTestClient(server.port);
  });

  afterAll(async () => {
    client.close();
    await server.close();
    await config.close();
  });

  it('aborts routing that is still in progress', async () => {
    let release!: () => void;
    holdRouting = new Promise((resolve) => (release = resolve));
    const stream = client.open();
    await stream.send(requestHeadersMessage({ path: '/v1/chat/completions', body: BODY }));
    stream.write({ request_body: { body: Buffer.from(BODY), end_of_stream: true } });
    await until(() => signals.length === 1);
    stream.cancel();
    await until(() => signals[0]!.aborted);
    release();
    expect(signals[0]!.aborted).toBe(true);
  });

  it('leaves the signal alone when every message was answered before the reset', async () => {
    holdRouting = Promise.resolve();
    const stream = client.open();
    await stream.send(requestHeadersMessage({ path: '/v1/chat/completions', body: BODY }));
    const reply = await stream.send({ request_body: { body: Buffer.from(BODY), end_of_stream: true } });
    expect(reply['request_body']).toBeDefined();
    stream.cancel();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(signals.at(-1)!.aborted).toBe(false);
  });
});
