import { CONFIG_SCHEMA } from './schema.js';

const RESOURCES = {
  type: 'object',
  properties: { requests: { type: 'object', additionalProperties: { type: ['string', 'number'] } }, limits: { type: 'object', additionalProperties: { type: ['string', 'number'] } } },
} as const;
const IMAGE = {
  type: 'object',
  required: ['repository', 'tag'],
  properties: { repository: { type: 'string', minLength: 1 }, tag: { type: 'string', minLength: 1 }, pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] } },
} as const;

/**
 * The Helm chart's values.schema.json (deploy/helm/switchyard): the chart's own settings, and
 * `config` checked by the router's config schema itself, so `helm install` refuses a config
 * `switchyard validate` would refuse for its shape. Written by `make helm-schema`; a test keeps
 * the committed file equal to this.
 */
export function helmValuesSchema(): Record<string, unknown> {
  const { $schema, $defs, title: _title, ...config } = CONFIG_SCHEMA as Record<string, unknown>;
  return {
    $schema,
    title: 'Values of the Switchyard Helm chart',
    type: 'object',
    // The config schema's rule trees refer to #/$defs/rule: keep its definitions at the root.
    $defs,
    required: ['config'],
    properties: {
      replicaCount: { type: 'integer', minimum: 0 },
      image: IMAGE,
      envoy: { type: 'object', properties: { image: IMAGE } },
      service: { type: 'object', properties: { type: { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }, port: { type: 'integer', minimum: 1, maximum: 65535 } } },
      adminPort: { type: 'integer', minimum: 1, maximum: 65535 },
      providerKeysSecret: { type: 'string', minLength: 1 },
      terminationGracePeriodSeconds: { type: 'integer', minimum: 0 },
      resources: { type: 'object', properties: { envoy: RESOURCES, switchyard: RESOURCES } },
      autoscaling: {
        type: 'object',
        properties: {
          enabled: { type: 'boolean' },
          minReplicas: { type: 'integer', minimum: 1 },
          maxReplicas: { type: 'integer', minimum: 1 },
          targetCPUUtilizationPercentage: { type: 'integer', minimum: 1, maximum: 100 },
        },
      },
      podDisruptionBudget: { type: 'object', properties: { enabled: { type: 'boolean' }, minAvailable: { type: ['integer', 'string'] } } },
      redis: { type: 'object', properties: { enabled: { type: 'boolean' }, image: IMAGE } },
      config,
    },
  };
}
