const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Resolves with the first of SIGINT/SIGTERM and removes only the listeners it added. */
export function waitForShutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    const listeners = SHUTDOWN_SIGNALS.map((name) => {
      const listener = (): void => {
        for (const [signal, added] of listeners) process.off(signal, added);
        resolve(name);
      };
      process.on(name, listener);
      return [name, listener] as const;
    });
  });
}

/** Calls `reload` on every SIGHUP (reload the config file now); returns the function that stops listening. */
export function onReloadSignal(reload: () => void): () => void {
  const listener = (): void => reload();
  process.on('SIGHUP', listener);
  return () => process.off('SIGHUP', listener);
}
