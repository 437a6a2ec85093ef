import { classificationApi } from '../apis/classification-api.js';
import type { ConfigEnvironment } from '../config/env-expansion.js';
import type { ConfigStore } from '../config/watch.js';
import { startDashboard, type Dashboard } from '../dashboard/dashboard.js';
import { selectionApiRoutes } from '../selection/selection-api.js';
import { startAdminServer, type AdminRoute } from '../telemetry/admin-server.js';
import type { RouterLogger } from '../telemetry/logger.js';
import type { MetricsExposition, SelectionEvent } from '../telemetry/metrics.js';
import { bindListener } from './listener-binding.js';

/** What the admin port serves, in a single `serve` process or in a cluster's primary. */
export interface AdminStackOptions {
  readonly store: ConfigStore;
  readonly watchPath: string | undefined;
  readonly env: ConfigEnvironment;
  readonly address: string;
  readonly port: number;
  /** The first gateway listener's base URL, once it listens (the dashboard's playground). */
  readonly gatewayUrl: () => string | undefined;
  readonly notReadyReason: () => string | undefined;
  readonly metrics: readonly MetricsExposition[];
  /** Routes of the telemetry (recent requests). */
  readonly telemetryRoutes: readonly AdminRoute[];
  readonly countSelection: (event: SelectionEvent) => void;
  readonly logger: RouterLogger;
}

/** The admin server with the dashboard, the selection and classification APIs on it. */
export interface AdminStack {
  readonly port: number;
  close(): Promise<void>;
}

/** Whether an address only accepts connections from this host. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.');
}

/** Starts the dashboard (unless the config turns it off) and the admin server with every API route. */
export async function startAdminStack(options: AdminStackOptions): Promise<AdminStack> {
  const { store, logger } = options;
  const loopbackOnly = isLoopback(options.address);
  const classification = classificationApi({ config: () => store.current(), loopbackOnly });
  const dashboard: Dashboard | undefined = store.current().dashboard?.enabled === false ? undefined : await startDashboard({
    store,
    watchPath: options.watchPath,
    env: options.env,
    gatewayUrl: options.gatewayUrl,
    logger: logger.child({ component: 'dashboard' }),
  });
  const admin = await bindListener(
    { what: 'the admin server (/healthz, /readyz, /metrics)', change: 'envoy.admin_port in the config, or pass --admin-port' },
    options.address,
    options.port,
    () =>
      startAdminServer({
        address: options.address,
        port: options.port,
        notReadyReason: options.notReadyReason,
        metrics: options.metrics,
        routes: [
          ...selectionApiRoutes({ config: () => store.current(), loopbackOnly, count: options.countSelection, logger: logger.child({ component: 'selection' }) }),
          ...classification.routes,
          ...(dashboard?.routes ?? []),
          ...options.telemetryRoutes,
        ],
        ...(dashboard === undefined ? {} : { serve: dashboard.handle }),
      }),
  ).catch(async (error: unknown) => {
    classification.close();
    await dashboard?.close();
    throw error;
  });
  return {
    port: admin.port,
    close: async () => {
      classification.close();
      await dashboard?.close();
      await admin.close();
    },
  };
}
