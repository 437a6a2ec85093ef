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
