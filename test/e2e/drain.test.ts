import { ExtProcTestClient, requestHeadersMessage } from '../helpers/extproc-client.js';
import { startE2eStack } from '../helpers/e2e-stack.js';

describe('shutdown drain', () => {
  it('answers /readyz 503 while open sidecar streams finish, then stops everything', async () => {
    const stack = await startE2eStack();
    const admin = `http://127.0.0.1:${stack.switchyard.ports.admin}`;
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);
    // A stream held open by an Envoy keeps the sidecar draining (up to its grace time).
    const envoy = new ExtProcTestClient(stack.switchyard.ports.grpc!);
    const stream = envoy.open();
    await stream.send(requestHeadersMessage({ method: 'GET', path: '/other' }));

    const closing = stack.close();
    const ready = await fetch(`${admin}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('not ready: draining\n');
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);

    await stream.closeGracefully();
    envoy.close();
    await closing;
    await expect(fetch(`${admin}/healthz`)).rejects.toThrow();
  });
});
