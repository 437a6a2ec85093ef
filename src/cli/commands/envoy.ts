import { writeFile } from 'node:fs/promises';
import { loadConfigFileReporting } from '../../config/load.js';
import { buildEnvoyConfig, renderEnvoyConfig } from '../../envoy/render-envoy-config.js';
import { checkEnvoyBootstrap } from '../../envoy/strict-proto-check.js';
import type { CliIo } from '../cli-io.js';

/** Options of `switchyard envoy`. */
export interface EnvoyOptions {
  readonly config: string;
  /** Also decode the result strictly against Envoy's protos and fail on any problem. */
  readonly check?: boolean;
  /** Write here instead of stdout. */
  readonly out?: string;
  /** Where Envoy reaches the sidecar when it runs elsewhere (`--sidecar host:port`). */
  readonly sidecar?: { readonly address: string; readonly port: number };
}

/**
 * `switchyard envoy`: renders the envoy.yaml that runs a real Envoy in front of the sidecar
 * for this config. With `--check`, every problem Envoy's loader would report is listed and
 * the exit code is 1 when any is an error (warnings, such as deprecated fields, do not fail).
 */
export async function runEnvoy(options: EnvoyOptions, io: CliIo): Promise<number> {
  const config = await loadConfigFileReporting(options.config, (text) => io.stderr.write(text));
  if (config === undefined) return 1;
  const placement = options.sidecar === undefined ? {} : { sidecar: options.sidecar };
  try {
    if (options.check === true) {
      const problems = checkEnvoyBootstrap(buildEnvoyConfig(config, placement));
      for (const problem of problems) io.stderr.write(`${problem.severity} ${problem.path}: ${problem.message}\n`);
      if (problems.some((problem) => problem.severity === 'error')) {
        io.stderr.write('envoy: the rendered config does not decode as an Envoy bootstrap\n');
        return 1;
      }
    }
    const yaml = renderEnvoyConfig(config, placement);
    if (options.out === undefined) io.stdout.write(yaml);
    else {
      await writeFile(options.out, yaml);
      io.stderr.write(`wrote ${options.out}\n`);
    }
    return 0;
  } finally {
    await config.close();
  }
}
