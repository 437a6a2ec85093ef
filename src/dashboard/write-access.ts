import { createHash, timingSafeEqual } from 'node:crypto';
import type { ConfigEnvironment } from '../config/env-expansion.js';
import { DASHBOARD_TOKEN_ENV, type DashboardSettings } from './dashboard-settings.js';

/** A refused write, in the OpenAI error format the admin API answers with. */
export interface WriteRefusal {
  readonly status: 401 | 403;
  readonly body: { readonly error: { readonly message: string; readonly type: 'permission_error'; readonly param: null; readonly code: string } };
}

/** The write token in force: the config's, else the environment's, else none (read-only). */
export function writeToken(settings: DashboardSettings | undefined, env: ConfigEnvironment): string | undefined {
  const fromEnv = env[DASHBOARD_TOKEN_ENV];
  return settings?.token ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Whether a dashboard write (config apply or rollback, replay, a playground send) may go on:
 * undefined when the `Authorization: Bearer` token matches, a 403 when no token is configured
 * (the dashboard is read-only), a 401 for a missing or wrong one. Digests are compared so the
 * time taken says nothing about the token, its length included.
 */
export function refuseWrite(token: string | undefined, authorization: string | undefined): WriteRefusal | undefined {
  const refusal = (status: 401 | 403, code: string, message: string): WriteRefusal => ({ status, body: { error: { message, type: 'permission_error', param: null, code } } });
  if (token === undefined) return refusal(403, 'dashboard_read_only', `the dashboard is read-only: set dashboard.token in the config or ${DASHBOARD_TOKEN_ENV} to allow writes`);
  const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (given === undefined || !timingSafeEqual(digest(given), digest(token))) return refusal(401, 'invalid_api_key', 'missing or wrong bearer token for dashboard writes');
  return undefined;
}
