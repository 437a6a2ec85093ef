import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import type { RouterLogger } from '../../telemetry/logger.js';
import { expandEnvironment, type ConfigEnvironment } from '../env-expansion.js';
import type { StartConfigFeed } from '../watch.js';
import { KubernetesConfigSource } from './kubernetes-config-source.js';

/** Where a pod finds its own namespace (mounted with its service account token). */
const POD_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** What `serve` needs to follow the cluster's resources. */
export interface KubernetesConfigFeedOptions {
  /** The config file: the base the resources are laid over (listeners, ports, cache, ...). */
  readonly configPath: string;
  /** `kubernetes.namespace`; absent: the pod's namespace, else the kubeconfig context's, else "default". */
  readonly namespace?: string;
  readonly routerName: string;
  readonly logger: RouterLogger;
  /** Variables for `${VAR}` expansion of the base file; defaults to `process.env`. */
  readonly env?: ConfigEnvironment;
  /** Defaults to kubectl's lookup: `$KUBECONFIG`, `~/.kube/config`, else the in-cluster service account. */
  readonly kubeConfig?: KubeConfig;
  readonly restartDelayMs?: number;
}

/** The namespace to watch when the config names none, found as kubectl finds it. */
export function defaultNamespace(kubeConfig: KubeConfig, podNamespaceFile = POD_NAMESPACE_FILE): string {
  try {
    const namespace = readFileSync(podNamespaceFile, 'utf8').trim();
    if (namespace !== '') return namespace;
  } catch {
    // Not in a pod: the kubeconfig's context says.
  }
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
}

/**
 * `config_source: kubernetes` for `serve`: reads the config file once as the base document (the
 * file is not watched then: the resources are the source of changes), lists and watches the
 * namespace's resources, and hands every valid config they make to the process's reload path.
 * Resolves once the resources present at start have been reconciled, so `/readyz` says ready
 * with the cluster's config in force; an unreachable API server leaves the file's config serving
 * while the watch retries.
 */
export function kubernetesConfigFeed(options: KubernetesConfigFeedOptions): StartConfigFeed {
  return async (apply) => {
    const kubeConfig = options.kubeConfig ?? new KubeConfig();
    if (options.kubeConfig === undefined) kubeConfig.loadFromDefault();
    const namespace = options.namespace ?? defaultNamespace(kubeConfig);
    const text = await readFile(options.configPath, 'utf8');
    const baseDocument = parse(expandEnvironment(text, options.env ?? process.env).text) as Record<string, unknown>;
    const source = new KubernetesConfigSource({
      kubeConfig,
      namespace,
      routerName: options.routerName,
      baseDocument,
      configDir: dirname(resolve(options.configPath)),
      apply,
      logger: options.logger.child({ component: 'kubernetes' }),
      ...(options.restartDelayMs !== undefined && { restartDelayMs: options.restartDelayMs }),
    });
    options.logger.info({ namespace, routerName: options.routerName, server: kubeConfig.getCurrentCluster()?.server }, 'config_source is kubernetes: following the namespace\'s resources; the config file is the base and is not watched');
    await source.start();
    return { close: () => source.stop() };
  };
}
