import type { RuntimeConfig } from '../config/runtime-config.js';
import type { Feedback } from './feedback.js';

/** A refused feedback request: the HTTP status and an OpenAI-style error. */
export interface FeedbackRejection {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
}

/** Athena's `feedback_type` values for single-model feedback, as rewards. */
const FEEDBACK_TYPE_REWARD: Readonly<Record<string, number>> = { satisfied: 1, need_clarification: 0.5, want_different: 0, wrong_answer: 0 };

const FIELDS = ['decision_name', 'winner_model', 'loser_model', 'tie', 'model', 'reward', 'feedback_type', 'category', 'user_id', 'session_id', 'confidence'] as const;

function reject(status: number, code: string, message: string, param: string | null = null): FeedbackRejection {
  return { status, code, message, param };
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined | FeedbackRejection {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > 256) return reject(400, 'invalid_value', `${field} must be a non-empty string of at most 256 characters`, field);
  return value;
}

function isRejection(value: unknown): value is FeedbackRejection {
  return typeof value === 'object' && value !== null && 'status' in value;
}

/**
 * Checks a `POST /api/v1/feedback` body against the serving config: either a pairwise judgement
 * (`winner_model`, `loser_model`, optional `tie`) or one model's outcome (`model` with `reward`
 * 0..1 or Athena's `feedback_type`), for a known decision whose modelRefs list the models.
 * `confidence` (0..1) pulls the judgement toward a draw. Nothing is written for a refused body.
 */
export function parseFeedback(text: string, config: RuntimeConfig): Feedback | FeedbackRejection {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return reject(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reject(400, 'invalid_value', 'the body must be a JSON object');
  const body = parsed as Record<string, unknown>;
  const unknown = Object.keys(body).find((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknown !== undefined) return reject(400, 'unknown_parameter', `unknown field "${unknown.slice(0, 64)}" (allowed: ${FIELDS.join(', ')})`, unknown.slice(0, 64));

  const strings: Record<string, string | undefined> = {};
  for (const field of ['decision_name', 'winner_model', 'loser_model', 'model', 'feedback_type', 'category', 'user_id', 'session_id']) {
    const value = optionalString(body, field);
    if (isRejection(value)) return value;
    strings[field] = value;
  }
  const decisionName = strings.decision_name;
  if (decisionName === undefined) return reject(400, 'missing_required_parameter', 'decision_name is required', 'decision_name');
  const decision = config.decisions.decisions.find((candidate) => candidate.name === decisionName);
  if (decision === undefined) return reject(404, 'decision_not_found', `decision "${decisionName}" is not configured`, 'decision_name');

  const confidence = body.confidence ?? 1;
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) return reject(400, 'invalid_value', 'confidence must be a number from 0 to 1', 'confidence');
  if (body.tie !== undefined && typeof body.tie !== 'boolean') return reject(400, 'invalid_value', 'tie must be a boolean', 'tie');

  const pairwise = strings.winner_model !== undefined || strings.loser_model !== undefined;
  const single = strings.model !== undefined;
  if (pairwise === single) return reject(400, 'missing_required_parameter', 'give either winner_model and loser_model, or model with reward or feedback_type', pairwise ? 'model' : 'winner_model');
  const models = pairwise ? [['winner_model', strings.winner_model], ['loser_model', strings.loser_model]] : [['model', strings.model]];
  for (const [field, model] of models) {
    if (model === undefined) return reject(400, 'missing_required_parameter', `${field} is required with ${field === 'winner_model' ? 'loser_model' : 'winner_model'}`, field!);
    if (!config.models.has(model)) return reject(404, 'model_not_found', `model "${model}" is not configured`, field!);
    if (!decision.modelRefs.some((ref) => ref.model === model)) {
      return reject(422, 'model_not_in_decision', `model "${model}" is not one of decision "${decisionName}"'s modelRefs (${decision.modelRefs.map((ref) => ref.model).join(', ')})`, field!);
    }
  }
  const base = { decision: decisionName, category: strings.category ?? decisionName, userId: strings.user_id };
  const shrink = (reward: number): number => 0.5 + (reward - 0.5) * confidence;
  if (pairwise) {
    const winner = strings.winner_model!;
    const loser = strings.loser_model!;
    if (winner === loser) return reject(400, 'invalid_value', 'winner_model and loser_model must differ', 'loser_model');
    const tie = body.tie === true || confidence === 0;
    const winnerReward = tie ? 0.5 : shrink(1);
    return { ...base, pair: { winner, loser, tie }, rewards: [{ model: winner, reward: winnerReward }, { model: loser, reward: 1 - winnerReward }] };
  }
  if (body.tie !== undefined) return reject(400, 'invalid_value', 'tie applies to winner_model and loser_model only', 'tie');
  let reward: number;
  if (body.reward !== undefined) {
    if (typeof body.reward !== 'number' || !(body.reward >= 0 && body.reward <= 1)) return reject(400, 'invalid_value', 'reward must be a number from 0 to 1', 'reward');
    reward = body.reward;
  } else if (strings.feedback_type !== undefined) {
    const mapped = FEEDBACK_TYPE_REWARD[strings.feedback_type];
    if (mapped === undefined) return reject(400, 'invalid_value', `feedback_type must be one of ${Object.keys(FEEDBACK_TYPE_REWARD).join(', ')}`, 'feedback_type');
    reward = mapped;
  } else {
    return reject(400, 'missing_required_parameter', 'model feedback needs reward (0..1) or feedback_type', 'reward');
  }
  return { ...base, pair: undefined, rewards: [{ model: strings.model!, reward: shrink(reward) }] };
}

export function isFeedbackRejection(value: Feedback | FeedbackRejection): value is FeedbackRejection {
  return isRejection(value);
}
