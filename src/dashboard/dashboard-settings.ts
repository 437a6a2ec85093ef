/** The `dashboard` section's JSON Schema: the web dashboard served on the admin port. */
export const DASHBOARD_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: true },
    // Bearer token for writes (config apply and rollback, replay, playground sends); without one
    // (here or in SWITCHYARD_DASHBOARD_TOKEN) the dashboard is read-only.
    token: { type: 'string', minLength: 8 },
    show_prompts: { type: 'boolean', default: false },
    show_access_keys: { type: 'boolean', default: false },
    replay: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        capacity: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 5000 },
        store: { enum: ['memory', 'redis'], default: 'memory' },
        redis: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            url: { type: 'string', minLength: 1, default: 'redis://127.0.0.1:6379/0' },
            key: { type: 'string', minLength: 1, default: 'switchyard:dashboard:requests' },
          },
        },
      },
    },
  },
} as const;

/** The validated `dashboard` section, defaults filled in. */
export interface DashboardDocument {
  readonly enabled: boolean;
  readonly token?: string;
  readonly show_prompts: boolean;
  readonly show_access_keys: boolean;
  readonly replay: { readonly capacity: number; readonly store: 'memory' | 'redis'; readonly redis: { readonly url: string; readonly key: string } };
}

/** What the dashboard does, compiled. */
export interface DashboardSettings {
  readonly enabled: boolean;
  /** Writes need `Authorization: Bearer <token>`; absent: from SWITCHYARD_DASHBOARD_TOKEN, else writes are refused. */
  readonly token?: string;
  /** Prompt text (recorded only with `router.log_prompts`) is shown in the pages and API. */
  readonly showPrompts: boolean;
  /** Providers' access keys are shown in the config page instead of being masked. */
  readonly showAccessKeys: boolean;
  /** The request records kept for the live table, savings and replay. */
  readonly replay: { readonly capacity: number; readonly store: 'memory' | 'redis'; readonly redisUrl: string; readonly redisKey: string };
}

/** Environment variable that supplies the write token when the config has none. */
export const DASHBOARD_TOKEN_ENV = 'SWITCHYARD_DASHBOARD_TOKEN';

export function compileDashboard(section: DashboardDocument): DashboardSettings {
  return {
    enabled: section.enabled,
    ...(section.token === undefined ? {} : { token: section.token }),
    showPrompts: section.show_prompts,
    showAccessKeys: section.show_access_keys,
    replay: { capacity: section.replay.capacity, store: section.replay.store, redisUrl: section.replay.redis.url, redisKey: section.replay.redis.key },
  };
}
