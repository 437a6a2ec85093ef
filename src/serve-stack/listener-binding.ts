/** One of the sockets `serve` opens: what it is, and the field and flag that move it. */
export interface ListenerRole {
  /** e.g. `the gateway listener "http-8899"`. */
  readonly what: string;
  /** e.g. `listeners[0].port in the config, or --listen-port`. */
  readonly change: string;
}

function isAddressInUse(error: unknown): boolean {
  // Duck-typed: errors from another realm (a VM context) are not `instanceof Error` here.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  // net servers set code; grpc-js only puts the errno name in its message.
  return code === 'EADDRINUSE' || (typeof message === 'string' && /EADDRINUSE|address already in use/i.test(message));
}

/**
 * Runs a listener's start-up; a port already in use becomes one error that says which port,
 * which of Switchyard's listeners wanted it and how to change it, instead of a bare EADDRINUSE.
 */
export async function bindListener<T>(role: ListenerRole, address: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (!isAddressInUse(error)) throw error;
    throw new Error(`port ${port} on ${address} is already in use: it is ${role.what}; change ${role.change}`, { cause: error });
  }
}
