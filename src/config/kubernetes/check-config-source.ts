import type { ConfigProblem } from '../config-problem.js';

/** A `kubernetes` section only acts with `config_source: kubernetes`; otherwise it is reported at its key. */
export function unusedKubernetesSettings(written: Readonly<Record<string, unknown>> | null): ConfigProblem[] {
  if (written === null || written.kubernetes === undefined || written.config_source === 'kubernetes') return [];
  return [{ path: ['kubernetes'], at: 'key', severity: 'warning', code: 'SY_CFG_UNSUPPORTED', message: 'kubernetes is ignored: it only acts with config_source: kubernetes' }];
}
