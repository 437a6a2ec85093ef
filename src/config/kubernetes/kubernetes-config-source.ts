import { createHash } from 'node:crypto';
import {
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { RouterLogger } from '../../telemetry/logger.js';
import { checkConfigDocument } from '../check-document.js';
import { compileConfig } from '../compile.js';
import type { ConfigDocument } from '../config-document.js';
import type { ConfigProblem } from '../config-problem.js';
import type { RuntimeConfig } from '../runtime-config.js';
import { CRD_GROUP, CRD_VERSION, PLURALS, ResourceSelectionError, selectResourceConfig, type CustomResource, type ResourceConfig, type ResourceRef } from './custom-resources.js';

/** How to watch a namespace for the router's config. */
export interface KubernetesConfigSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** The SemanticRouter to read (default "router"); without one, the IntelligentPool/IntelligentRoute pair. */
  readonly routerName?: string;
  /** The config file's document: listeners, ports and every key the resources do not set. */
  readonly baseDocument: Record<string, unknown>;
  /** Folder that relative model paths resolve against. */
  readonly configDir: string;
  /** Swaps a compiled, valid config in for new streams. */
  readonly apply: (config: RuntimeConfig) => Promise<void> | void;
  readonly logger: RouterLogger;
  /** Wait before restarting a watch that failed with an error other than an expired version, and before retrying a config that could not be put in force. */
  readonly restartDelayMs?: number;
}

/** One condition as Kubernetes writes them in `status.conditions`. */
interface Condition {
  readonly type: 'Ready' | 'ValidationFailed' | 'UpdateFailed';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
}

type Informer = ReturnType<typeof makeInformer<KubernetesObject>>;

/**
 * `config_source: kubernetes`: watches the namespace's SemanticRouter (or Athena's
 * IntelligentPool + IntelligentRoute pair) with list/watch informers, not polling. Every change
 * is compiled with the same checks and compiler as a config file; a valid config is swapped in
 * and the resource gets `Ready=True`, an invalid one keeps the old config serving and the
 * resource gets `ValidationFailed=True` with every problem. An expired resourceVersion (410)
 * re-lists and a dropped watch resumes (both in client-node's ListWatch); any other watch
 * error restarts the informer after a delay, so the router never stops following the cluster.
 */
export class KubernetesConfigSource {
  private readonly api: CustomObjectsApi;
  private readonly informers: Record<keyof typeof PLURALS, Informer>;
  private readonly routerName: string;
  /** The last config reconciled, applied or rejected: a status update echoes back as an event. */
  private reconciledVersion: string | undefined;
  private running: Promise<void> = Promise.resolve();
  private pending = false;
  private stopped = false;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: KubernetesConfigSourceOptions) {
    this.api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.routerName = options.routerName ?? 'router';
    const informer = (plural: string): Informer => {
      const path = `/apis/${CRD_GROUP}/${CRD_VERSION}/namespaces/${options.namespace}/${plural}`;
      const list = async (): Promise<KubernetesListObject<KubernetesObject>> =>
        (await this.api.listNamespacedCustomObject({ group: CRD_GROUP, version: CRD_VERSION, namespace: options.namespace, plural })) as KubernetesListObject<KubernetesObject>;
      const created = makeInformer<KubernetesObject>(options.kubeConfig, path, list);
      created.on('change', () => this.schedule());
      created.on('error', (error: unknown) => this.restartLater(created, plural, error));
      return created;
    };
    this.informers = { router: informer(PLURALS.router), pool: informer(PLURALS.pool), route: informer(PLURALS.route) };
  }

  /** Lists every kind, starts the watches and applies the config found; resolves when that is done. */
  async start(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((informer) => informer.start()));
    this.schedule();
    await this.settled();
  }

  /** Resolves once no reconcile is running or queued. */
  async settled(): Promise<void> {
    while (this.pending) await this.running;
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    await Promise.all(Object.values(this.informers).map((informer) => informer.stop()));
    await this.running;
  }

  private restartLater(informer: Informer, plural: string, error: unknown): void {
    if (this.stopped) return;
    this.options.logger.warn({ plural, err: String((error as Error)?.message ?? error) }, 'kubernetes watch failed; restarting it');
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (!this.stopped) informer.start().catch((failure: unknown) => this.restartLater(informer, plural, failure));
    }, this.options.restartDelayMs ?? 2000);
    this.restartTimers.add(timer);
  }

  private retryLater(version: string): void {
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.reconciledVersion !== version) return;
      this.reconciledVersion = undefined;
      this.schedule();
    }, this.options.restartDelayMs ?? 2000);
    this.restartTimers.add(timer);
  }

  /** Coalesces bursts of events into one reconcile of the latest state. */
  private schedule(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    this.running = this.running.then(async () => {
      this.pending = false;
      try {
        await this.reconcile();
      } catch (error) {
        this.options.logger.error({ err: error }, 'kubernetes config reconcile failed; the current config keeps serving');
      }
    });
  }

  private resources(kind: keyof typeof PLURALS): CustomResource[] {
    return this.informers[kind].list(this.options.namespace) as CustomResource[];
  }

  private async reconcile(): Promise<void> {
    let selected: ResourceConfig;
    try {
      selected = selectResourceConfig(this.resources('router'), this.resources('pool'), this.resources('route'), this.routerName);
    } catch (error) {
      if (!(error instanceof ResourceSelectionError)) throw error;
      this.options.logger.warn({ namespace: this.options.namespace }, `no config from kubernetes: ${error.message}; the current config keeps serving`);
      return;
    }
    const merged = { ...this.options.baseDocument, ...selected.document };
    const text = JSON.stringify(merged);
    const version = createHash('sha256').update(text).digest('hex').slice(0, 12);
    if (version === this.reconciledVersion) return;
    this.reconciledVersion = version;

    const checked = structuredClone(merged);
    const problems: ConfigProblem[] = checkConfigDocument(checked);
    let config: RuntimeConfig | undefined;
    if (!problems.some((problem) => (problem.severity ?? 'error') === 'error')) {
      const source = selected.sources[0] as ResourceRef;
      const compiled = await compileConfig(checked as unknown as ConfigDocument, { path: `kubernetes:${this.options.namespace}/${source.plural}/${source.name}`, text, configDir: this.options.configDir });
      problems.push(...compiled.problems);
      config = compiled.config;
    }
    const errors = problems.filter((problem) => (problem.severity ?? 'error') === 'error').map((problem) => `${selected.describePath(problem.path)}: ${problem.message}`);
    const warnings = [
      ...problems.filter((problem) => problem.severity === 'warning').map((problem) => `${selected.describePath(problem.path)}: ${problem.message}`),
      ...selected.ignored.map((field) => `ignored: ${field}`),
    ];
    if (config === undefined || errors.length > 0) {
      await config?.close();
      this.options.logger.warn({ namespace: this.options.namespace, resources: selected.sources, problems: errors }, 'kubernetes config rejected; the current config keeps serving');
      await this.setStatus(selected.sources, version, 'Invalid', errors);
      return;
    }
    try {
      await this.options.apply(config);
    } catch (error) {
      // Valid, but what it needs could not be readied (a Redis cache unreachable, say). Retried
      // after a delay, not on the next event: the status patch below echoes back as one.
      this.retryLater(version);
      const message = `the config is valid but could not be put in force: ${(error as Error).message ?? String(error)}`;
      this.options.logger.warn({ namespace: this.options.namespace, resources: selected.sources }, `${message}; the current config keeps serving`);
      await this.setStatus(selected.sources, version, 'UpdateFailed', [message]);
      return;
    }
    this.options.logger.info({ namespace: this.options.namespace, resources: selected.sources, version, warnings }, 'config applied from kubernetes');
    await this.setStatus(selected.sources, version, 'Applied', warnings);
  }

  /**
   * `Ready` and `ValidationFailed` on every resource the config came from, plus Athena's
   * `UpdateFailed` when a valid config could not be put in force.
   */
  private async setStatus(sources: readonly ResourceRef[], version: string, outcome: 'Applied' | 'Invalid' | 'UpdateFailed', messages: readonly string[]): Promise<void> {
    const now = new Date().toISOString();
    const valid = outcome !== 'Invalid';
    const applied = outcome === 'Applied';
    for (const source of sources) {
      const generation = source.generation === undefined ? {} : { observedGeneration: source.generation };
      const conditions: Condition[] = [
        { type: 'Ready', status: applied ? 'True' : 'False', reason: applied ? 'ConfigApplied' : 'ConfigRejected', message: applied ? messages.join('\n') || 'config applied' : 'the previous config keeps serving', lastTransitionTime: now, ...generation },
        { type: 'ValidationFailed', status: valid ? 'False' : 'True', reason: valid ? 'Valid' : 'InvalidConfig', message: valid ? '' : messages.join('\n'), lastTransitionTime: now, ...generation },
        { type: 'UpdateFailed', status: outcome === 'UpdateFailed' ? 'True' : 'False', reason: outcome === 'UpdateFailed' ? 'NotPutInForce' : 'None', message: outcome === 'UpdateFailed' ? messages.join('\n') : '', lastTransitionTime: now, ...generation },
      ];
      try {
        await this.api.patchNamespacedCustomObjectStatus(
          { group: CRD_GROUP, version: CRD_VERSION, namespace: this.options.namespace, plural: source.plural, name: source.name, body: { status: { ...generation, ...(applied && { configVersion: version }), conditions } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (error) {
        this.options.logger.warn({ resource: source, err: String((error as Error).message ?? error) }, 'could not update the resource status');
      }
    }
  }
}
