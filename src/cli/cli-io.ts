/** Where a CLI run writes; the process streams in production, string collectors in tests. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

let quietOnClosedStdout = false;

/**
 * A reader that stops early (`switchyard route … | head`) closes the pipe, and the next write
 * fails with EPIPE. Node would crash with a stack trace; the Unix convention (SIGPIPE) is to
 * stop quietly, so the process ends with what it has written.
 */
export function endQuietlyWhenStdoutCloses(): void {
  if (quietOnClosedStdout) return;
  quietOnClosedStdout = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}
