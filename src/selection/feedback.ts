/**
 * One piece of feedback about a decision's models, after validation: a pairwise judgement
 * (`winner`/`loser`/`tie`, as in Athena's `POST /api/v1/feedback`) and/or rewards per model.
 * A pair also yields rewards: winner 1, loser 0, a tie 0.5 each.
 */
export interface Feedback {
  readonly decision: string;
  /** Category-scoped state key: the body's `category`, else the decision name. */
  readonly category: string;
  readonly userId: string | undefined;
  readonly pair: { readonly winner: string; readonly loser: string; readonly tie: boolean } | undefined;
  readonly rewards: readonly { readonly model: string; readonly reward: number }[];
}
