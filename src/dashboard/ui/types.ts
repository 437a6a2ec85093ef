/** Shapes the dashboard API returns; the server's own types, imported for their shape only. */
export type { RequestRecord } from '../request-store.js';
export type { LiveBatch, LiveFeedCounts, LiveRow } from '../live-feed.js';
export type { RoutingExplanation } from '../../cli/commands/route-explanation.js';
export type { RouteLine } from '../../cli/commands/route.js';
export type { SavingsSummary, SavingsTotals } from '../savings-summary.js';
export type { ModelsView } from '../models-view.js';
export type { ConfigCheck, RunningConfig, ApplyOutcome } from '../config-editor.js';
export type { ReplayResult } from '../replay.js';
export type { Diagnostic } from '../../config/diagnostic.js';

import type { LiveFeedCounts } from '../live-feed.js';

/** GET /dashboard/api/info */
export interface DashboardInfo {
  readonly version: string;
  readonly writable: boolean;
  readonly showPrompts: boolean;
  readonly promptsRecorded: boolean;
  readonly replayStore: string;
  readonly capacity: number;
  readonly gateway: string | null;
  readonly autoModel: string;
  readonly live: LiveFeedCounts;
}
