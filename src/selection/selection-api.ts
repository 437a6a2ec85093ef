import { timingSafeEqual } from 'node:crypto';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { RouterLogger } from '../telemetry/logger.js';
import type { SelectionEvent } from '../telemetry/metrics.js';
import { categoryEloTable, GLOBAL_ELO_TABLE } from './elo.js';
import { isFeedbackRejection, parseFeedback, type FeedbackRejection } from './feedback-request.js';
import { posterior } from './rl-driven.js';
import { gamesField } from './selection-state.js';

/** A JSON reply of the selection API. */
export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
}

/** One HTTP request to the selection API, as the admin server hands it over. */
export interface ApiRequest {
  readonly body: Buffer;
  readonly authorization: string | undefined;
  readonly query: URLSearchParams;
}

/** An endpoint of the admin server. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  handle(request: ApiRequest): Promise<ApiReply>;
}

/** What the selection API needs from the process. */
export interface SelectionApiOptions {
  /** The serving config (it changes on reload). */
  readonly config: () => RuntimeConfig;
  /** Whether the admin server listens on loopback only (then `require_token: auto` needs no token). */
  readonly loopbackOnly: boolean;
  readonly count: (event: SelectionEvent) => void;
  readonly logger: RouterLogger;
}

function errorReply(status: number, code: string, message: string, param: string | null = null): ApiReply {
  return { status, body: { error: { message, type: status === 401 || status === 403 ? 'permission_error' : 'invalid_request_error', param, code } } };
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Why a call to a guarded admin endpoint is refused for lack of the admin token
 * (`model_selection.api.token`), or undefined when it may go on. `what` names the endpoint in the message.
 */
export function authorise(config: RuntimeConfig, authorization: string | undefined, loopbackOnly: boolean, what = 'feedback API'): ApiReply | undefined {
  const api = config.selection?.api;
  const token = api?.token;
  const required = token !== undefined || api?.requireToken === 'always' || (api?.requireToken !== 'never' && !loopbackOnly);
  if (!required) return undefined;
  if (token === undefined) {
    return errorReply(403, 'token_not_configured', `the ${what} needs model_selection.api.token when the admin server listens beyond loopback (or set require_token: never)`);
  }
  const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (given === undefined || !sameToken(given, token)) return errorReply(401, 'invalid_api_key', `missing or wrong bearer token for the ${what}`);
  return undefined;
}

function ratingsOf(config: RuntimeConfig, table: string, base: number): { model: string; rating: number; games: number }[] {
  const fields = config.selection?.state.tables(table).get(table) ?? new Map<string, number>();
  return [...fields.keys()]
    .filter((field) => !field.includes('#'))
    .map((model) => ({ model, rating: base + fields.get(model)!, games: fields.get(gamesField(model)) ?? 0 }))
    .sort((a, b) => b.rating - a.rating);
}

/**
 * The selection endpoints of the admin server, as in Athena: `POST /api/v1/feedback` (token-guarded,
 * every field checked against the serving config before anything is written), `GET
 * /api/v1/ratings` (Elo ratings, global and per category) and `GET /api/v1/rl-state` (bandit
 * posteriors per decision, and per user when personalised).
 */
export function selectionApiRoutes(options: SelectionApiOptions): ApiRoute[] {
  const refuse = (rejection: FeedbackRejection | ApiReply): ApiReply => {
    options.count('feedback_rejected');
    return 'code' in rejection ? errorReply(rejection.status, rejection.code, rejection.message, rejection.param) : rejection;
  };
  return [
    {
      method: 'POST',
      path: '/api/v1/feedback',
      async handle(request) {
        const config = options.config();
        const denied = authorise(config, request.authorization, options.loopbackOnly);
        if (denied !== undefined) return refuse(denied);
        const selection = config.selection;
        if (selection === undefined) return refuse(errorReply(503, 'selection_unavailable', 'this config has no model selection'));
        const feedback = parseFeedback(request.body.toString('utf8'), config);
        if (isFeedbackRejection(feedback)) return refuse(feedback);
        const updates = await selection.learn(feedback);
        options.count('feedback_accepted');
        options.logger.info({ decision: feedback.decision, category: feedback.category, pair: feedback.pair, rewards: feedback.rewards }, 'selection feedback applied');
        return { status: 200, body: { status: 'ok', decision: feedback.decision, updates: updates.length, store: selection.state.backend } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/ratings',
      async handle(request) {
        const config = options.config();
        const base = config.selection?.ratingBase ?? 1500;
        const category = request.query.get('category');
        const categories: Record<string, unknown> = {};
        const prefix = category === null ? categoryEloTable('') : categoryEloTable(category);
        for (const table of config.selection?.state.tables(prefix).keys() ?? []) {
          if (category !== null && table !== prefix) continue;
          categories[table.slice(categoryEloTable('').length)] = ratingsOf(config, table, base);
        }
        return { status: 200, body: { initial_rating: base, global: ratingsOf(config, GLOBAL_ELO_TABLE, base), categories } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/rl-state',
      async handle(request) {
        const config = options.config();
        const only = request.query.get('decision');
        const decisions: Record<string, unknown> = {};
        for (const decision of config.decisions.decisions) {
          if (only !== null && decision.name !== only) continue;
          const compiled = config.selection?.forDecision(decision.name);
          if (compiled === undefined) continue;
          const state = config.selection!.state;
          const posteriors = (table: string): Record<string, unknown> =>
            Object.fromEntries(
              compiled.candidates.map(({ target }) => {
                const { a, b } = posterior(state, table, target.name);
                return [target.name, { alpha: a, beta: b, mean: a / (a + b) }];
              }),
            );
          const userPrefix = `rl:${decision.name}:user:`;
          const users = Object.fromEntries([...state.tables(userPrefix).keys()].map((table) => [table.slice(userPrefix.length), posteriors(table)]));
          decisions[decision.name] = { algorithm: compiled.algorithm, models: posteriors(`rl:${decision.name}`), users };
        }
        if (only !== null && decisions[only] === undefined) return errorReply(404, 'decision_not_found', `decision "${only}" is not configured`, 'decision');
        return { status: 200, body: { store: config.selection?.state.backend ?? 'memory', decisions } };
      },
    },
  ];
}
