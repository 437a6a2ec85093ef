import { stringify } from 'yaml';

/** What `dsl compile --format` can emit from one config document. */
export const DSL_TARGETS = ['yaml', 'crd', 'helm'] as const;
export type DslTarget = (typeof DSL_TARGETS)[number];

/** The API group and version of Switchyard's custom resources (deploy/kubernetes/crds). */
export const CRD_API_VERSION = 'switchyard.io/v1alpha1';

export interface TargetOptions {
  /** `metadata.name` of the custom resource (default "router"). */
  readonly name?: string;
  /** `metadata.namespace` of the custom resource (default "default"). */
  readonly namespace?: string;
}

// Top-level keys in the order a reader expects; any other key follows in document order.
const KEY_ORDER = ['version', 'listeners', 'providers', 'default_model', 'reasoning_families', 'default_reasoning_effort', 'signals', 'decisions'];

function ordered(document: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (key in document) result[key] = document[key];
  for (const [key, value] of Object.entries(document)) if (!(key in result)) result[key] = value;
  return result;
}

/**
 * Renders a config document for a deployment target:
 * - `yaml`: the flat config file `serve --config` reads;
 * - `crd`: one `SemanticRouter` custom resource carrying the whole config in `spec.config`
 *   (so nested rule trees and every signal type fit, unlike Athena's IntelligentRoute);
 * - `helm`: values for deploy/helm/switchyard, the config under `config:`.
 */
export function renderTarget(document: Record<string, unknown>, target: DslTarget, options: TargetOptions = {}): string {
  const config = ordered(document);
  const yamlOptions = { lineWidth: 0 } as const;
  switch (target) {
    case 'yaml':
      return stringify(config, yamlOptions);
    case 'crd':
      return stringify(
        {
          apiVersion: CRD_API_VERSION,
          kind: 'SemanticRouter',
          metadata: { name: options.name ?? 'router', namespace: options.namespace ?? 'default' },
          spec: { config },
        },
        yamlOptions,
      );
    case 'helm':
      return stringify({ config }, yamlOptions);
  }
}
