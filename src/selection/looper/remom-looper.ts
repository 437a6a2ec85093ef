import { RouterError } from '../../errors.js';
import type { InertParameter, SelectionAlgorithm, SelectionCandidate } from '../selection-algorithm.js';
import type { Completion, JsonEdit, Looper, LooperOutcome, LooperTry } from './looper.js';
import { answerText, callConcurrently, composedCompletion, failureNotes, reasoningText, summedUsage, triesOf, unstreamed, type CallResult } from './looper-answers.js';
import { compileSynthesisTemplate, type ReferenceResponse } from './synthesis-template.js';
import { seededRandom } from '../../seeded-random.js';

type Distribution = 'weighted' | 'equal' | 'round_robin' | 'first_only';

export interface RemomParameters {
  /** Calls per round before the final synthesis (which is one call). */
  readonly breadth_schedule: readonly number[];
  readonly model_distribution: Distribution;
  /** Sampling temperature of every remom call; 0 leaves the client's. */
  readonly temperature: number;
  /** Show each reference's reasoning (`reasoning_content`) to the next round. */
  readonly include_reasoning: boolean;
  readonly compaction_strategy: 'full' | 'last_n_tokens';
  readonly compaction_tokens: number;
  /** Go text/template over `.OriginalContent` and `.ReferenceResponses`; Athena's default when unset. */
  readonly synthesis_template?: string;
  /** Calls in flight per round; a whole round at once when unset. */
  readonly max_concurrent?: number;
  readonly shuffle_seed: number;
  /** Put every round's answers in the reply under `reasoning_mom_responses`; off lets the synthesis stream from its upstream. */
  readonly include_intermediate_responses: boolean;
  /** References kept per round; all when unset. */
  readonly max_responses_per_round?: number;
  readonly on_error?: 'skip' | 'fail';
}

/** Largest breadth of one round: each call is a paid upstream call (Athena's users asked for a cap). */
const MAX_BREADTH = 64;

/** Rough size of a token, as Athena's compaction counts it. */
const CHARS_PER_TOKEN = 4;

const DEFAULT_TEMPLATE = `You are given a problem and answers other models gave to it. Study them, then give your own answer.

Problem:
{{.OriginalContent}}

Answers:
{{range $i, $resp := .ReferenceResponses}}
Answer {{add $i 1}}{{if $resp.Model}} ({{$resp.Model}}){{end}}:
{{$resp.Content}}
{{end}}

With the problem and these answers in mind, write your own complete answer.`;

const DEFAULT_TEMPLATE_WITH_REASONING = `You are given a problem and answers other models gave to it, with their reasoning. Study how they reasoned, then give your own answer.

Problem:
{{.OriginalContent}}

Answers:
{{range $i, $resp := .ReferenceResponses}}
Answer {{add $i 1}}{{if $resp.Model}} ({{$resp.Model}}){{end}}:
{{if $resp.Reasoning}}Reasoning:
{{$resp.Reasoning}}

Answer:
{{end}}{{$resp.Content}}
{{end}}

Weigh their reasoning, then write your own complete answer with clear reasoning.`;

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Which candidate makes each of a round's `count` calls. `weighted`: shares in proportion to
 * modelRef weights, rounded by largest remainder (equal shares when no weight is set); `equal`:
 * the same number each, the first modelRefs taking the remainder; both then shuffled by the seed.
 * `round_robin`: modelRef order, cycling; `first_only`: the first modelRef every time (PaCoRe).
 */
export function distributeCalls(count: number, candidates: readonly SelectionCandidate[], distribution: Distribution, seed: number): number[] {
  const indices = candidates.map((_, i) => i);
  const repeat = (counts: readonly number[]): number[] => counts.flatMap((n, i) => Array.from({ length: n }, () => i));
  const weights = candidates.map((candidate) => Math.max(0, candidate.ref.weight ?? 0));
  const total = weights.reduce((a, b) => a + b, 0);
  const equalCounts = (): number[] => indices.map((i) => Math.floor(count / candidates.length) + (i < count % candidates.length ? 1 : 0));
  switch (distribution) {
    case 'first_only':
      return Array.from({ length: count }, () => 0);
    case 'round_robin':
      return Array.from({ length: count }, (_, i) => i % candidates.length);
    case 'equal':
      return shuffled(repeat(equalCounts()), seed);
    case 'weighted': {
      // Without weights, weighted is equal.
      if (total === 0) return shuffled(repeat(equalCounts()), seed);
      const exact = weights.map((weight) => (weight / total) * count);
      const counts = exact.map(Math.floor);
      const byRemainder = [...indices].sort((a, b) => exact[b]! - counts[b]! - (exact[a]! - counts[a]!) || a - b);
      for (let left = count - counts.reduce((a, b) => a + b, 0), k = 0; left > 0; left--, k++) counts[byRemainder[k % byRemainder.length]!]! += 1;
      return shuffled(repeat(counts), seed);
    }
  }
}

/** The text of the last user message (string content, or the text parts of a content array). */
function lastUserText(json: Readonly<Record<string, unknown>>): string {
  const messages = Array.isArray(json.messages) ? (json.messages as readonly { role?: unknown; content?: unknown }[]) : [];
  const user = [...messages].reverse().find((message) => message?.role === 'user');
  if (typeof user?.content === 'string') return user.content;
  if (!Array.isArray(user?.content)) return '';
  return (user.content as readonly { type?: unknown; text?: unknown }[]).flatMap((part) => (part?.type === 'text' && typeof part.text === 'string' ? [part.text] : [])).join('\n');
}

/** The request as a remom call sends it: the last message replaced by a synthesis prompt (rounds after the first), the remom temperature, no tools. */
function remomRequest(json: Readonly<Record<string, unknown>>, prompt: string | undefined, temperature: number): Record<string, unknown> {
  const { tools: _tools, tool_choice: _toolChoice, parallel_tool_calls: _parallel, functions: _functions, function_call: _functionCall, ...rest } = json;
  const messages = Array.isArray(json.messages) ? (json.messages as readonly unknown[]) : [];
  return {
    ...rest,
    ...(prompt === undefined ? {} : { messages: [...messages.slice(0, -1), { role: 'user', content: prompt }] }),
    ...(temperature > 0 ? { temperature } : {}),
  };
}

/** One answer of a round as the reply's `reasoning_mom_responses` shows it (Athena's shape). */
interface RoundAnswer {
  readonly model: string;
  readonly content: string;
  readonly reasoning?: string;
  readonly compacted_content?: string;
  readonly token_count: number;
}

interface Round {
  readonly round: number;
  readonly breadth: number;
  readonly responses: RoundAnswer[];
}

/**
 * Athena's `remom` looper (Reasoning for Mixture of Models, after PaCoRe): rounds of parallel
 * calls, then one synthesis call. Round 1 asks the client's question `breadth_schedule[0]` times,
 * spread over the candidates by `model_distribution`; each later round, and the final synthesis,
 * gets the previous round's answers (compacted, shuffled by `shuffle_seed`, at most
 * `max_responses_per_round`) in a prompt written by `synthesis_template`. With
 * `include_intermediate_responses` the synthesis is called here and the reply carries every
 * round's answers under `reasoning_mom_responses` (held, SSE for a streaming client); without it the
 * request is routed to the synthesis model with the synthesis prompt, so its answer streams from
 * the upstream. Failed or empty answers are dropped under `on_error: skip` (a round with none
 * left ends the rounds and the best answer so far is the reply), and fail the request under `fail`.
 */
export const remomLooper: SelectionAlgorithm<RemomParameters> = {
  type: 'remom',
  aliases: [],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      breadth_schedule: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1, maximum: MAX_BREADTH } },
      model_distribution: { enum: ['weighted', 'equal', 'round_robin', 'first_only'] },
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      include_reasoning: { type: 'boolean' },
      compaction_strategy: { enum: ['full', 'last_n_tokens'] },
      compaction_tokens: { type: 'integer', minimum: 1 },
      synthesis_template: { type: 'string', minLength: 1 },
      max_concurrent: { type: 'integer', minimum: 1 },
      shuffle_seed: { type: 'integer' },
      include_intermediate_responses: { type: 'boolean' },
      max_responses_per_round: { type: 'integer', minimum: 1 },
      on_error: { enum: ['skip', 'fail'] },
    },
  },
  defaults: {
    breadth_schedule: [4],
    model_distribution: 'weighted',
    temperature: 1,
    include_reasoning: false,
    compaction_strategy: 'full',
    compaction_tokens: 1000,
    shuffle_seed: 42,
    include_intermediate_responses: true,
  },
  globalKey: undefined,
  inertParameters(written): InertParameter[] {
    if (written.compaction_tokens !== undefined && written.compaction_strategy !== 'last_n_tokens') {
      return [{ name: 'compaction_tokens', reason: 'answers are compacted only under compaction_strategy: last_n_tokens' }];
    }
    return [];
  },
  create(parameters, context) {
    const candidates = context.candidates;
    if (candidates.length < 1) throw new Error('remom needs at least one modelRef');
    const render = compileSynthesisTemplate(parameters.synthesis_template ?? (parameters.include_reasoning ? DEFAULT_TEMPLATE_WITH_REASONING : DEFAULT_TEMPLATE));
    const onError = parameters.on_error ?? context.onError;
    const nameOf = (candidate: number): string => candidates[candidate]!.target.name;
    const schedule = parameters.breadth_schedule;
    const seed = parameters.shuffle_seed;
    const synthesizer = distributeCalls(1, candidates, parameters.model_distribution, seed)[0]!;
    const compact = (text: string): string => {
      const limit = parameters.compaction_tokens * CHARS_PER_TOKEN;
      return parameters.compaction_strategy === 'last_n_tokens' && text.length > limit ? text.slice(-limit) : text;
    };
    // Athena feeds the reasoning forward when an answer has no content.
    const synthesisText = (completion: Completion): string => (answerText(completion).trim() !== '' ? answerText(completion) : reasoningText(completion));
    const references = (round: Round): ReferenceResponse[] =>
      round.responses.map((answer) => ({
        Model: answer.model,
        Content: answer.content.trim() === '' && parameters.include_reasoning ? '' : (answer.compacted_content ?? answer.content),
        Reasoning: parameters.include_reasoning ? (answer.reasoning ?? '') : '',
      }));
    const editFor = (previous: Round | undefined, stream: boolean): JsonEdit => (json) => {
      const prompt = previous === undefined ? undefined : render({ OriginalContent: lastUserText(json), ReferenceResponses: references(previous) });
      const request = remomRequest(json, prompt, parameters.temperature);
      return stream ? request : unstreamed(request);
    };
    const roundOf = (number: number, results: readonly CallResult[]): Round => {
      const usable = results.filter((result) => result.completion !== undefined && synthesisText(result.completion).trim() !== '');
      // Longest first, then the seeded shuffle Athena applies (which decides the order shown).
      const ordered = shuffled([...usable].sort((a, b) => synthesisText(b.completion!).length - synthesisText(a.completion!).length), seed);
      const kept = ordered.slice(0, parameters.max_responses_per_round ?? ordered.length);
      return {
        round: number,
        breadth: results.length,
        responses: kept.map((result) => {
          const text = synthesisText(result.completion!);
          const reasoning = reasoningText(result.completion!);
          const compacted = compact(text);
          return { model: nameOf(result.candidate), content: answerText(result.completion!), ...(reasoning === '' ? {} : { reasoning }), ...(compacted === text ? {} : { compacted_content: compacted }), token_count: Math.floor(text.length / CHARS_PER_TOKEN) };
        }),
      };
    };
    const plan = `remom rounds [${schedule.join(', ')}] then synthesis by ${nameOf(synthesizer)}, ${parameters.model_distribution} over ${candidates.map((c) => c.target.name).join(', ')}`;
    const looper: Looper = {
      async run(calls) {
        const rounds: Round[] = [];
        const tries: LooperTry[] = [];
        const paid: Completion[] = [];
        const notes: string[] = [];
        let iteration = 0;
        for (const [r, breadth] of schedule.entries()) {
          const planned = distributeCalls(breadth, candidates, parameters.model_distribution, seed).map((candidate) => ({ candidate, iteration: ++iteration }));
          const results = await callConcurrently(calls, planned, parameters.max_concurrent ?? breadth, editFor(rounds.at(-1), false));
          tries.push(...triesOf(results, nameOf, r + 1));
          paid.push(...results.flatMap((result) => (result.completion === undefined ? [] : [result.completion])));
          const round = roundOf(r + 1, results);
          const failures = failureNotes(results, nameOf);
          notes.push(`round ${r + 1}: ${round.responses.length} of ${breadth} kept${failures === '' ? '' : ` (${failures})`}`);
          const empty = results.some((result) => result.completion !== undefined && synthesisText(result.completion).trim() === '');
          if (onError === 'fail' && (failures !== '' || empty)) {
            throw new RouterError('SY_ERR_UPSTREAM_FAILED', `remom looper: round ${r + 1}: ${failures === '' ? 'an answer was empty' : failures}`);
          }
          if (round.responses.length === 0) {
            if (rounds.length === 0) throw new RouterError('SY_ERR_UPSTREAM_FAILED', `remom looper: round ${r + 1} has no usable answer${failures === '' ? '' : ` (${failures})`}`);
            return bestSoFar(rounds, tries, paid, notes);
          }
          rounds.push(round);
        }
        const reason = `${notes.join('; ')}; synthesis by ${nameOf(synthesizer)}`;
        if (!parameters.include_intermediate_responses) return { kind: 'route', candidate: synthesizer, tries, reason, edit: editFor(rounds.at(-1), true) };
        const [final] = await callConcurrently(calls, [{ candidate: synthesizer, iteration: iteration + 1 }], 1, editFor(rounds.at(-1), false));
        tries.push(...triesOf([final!], nameOf, schedule.length + 1));
        if (final!.completion === undefined || answerText(final!.completion).trim() === '') {
          const why = final!.error ?? 'empty answer';
          if (onError === 'fail') throw new RouterError('SY_ERR_UPSTREAM_FAILED', `remom looper: synthesis by ${nameOf(synthesizer)} failed: ${why}`);
          if (final!.completion !== undefined) paid.push(final!.completion);
          return bestSoFar(rounds, tries, paid, [...notes, `synthesis by ${nameOf(synthesizer)} failed: ${why}`]);
        }
        paid.push(final!.completion);
        rounds.push(roundOf(schedule.length + 1, [final!]));
        const usage = summedUsage(paid);
        const completion = { ...final!.completion, ...(usage === undefined ? {} : { usage }) };
        return { kind: 'answer', candidate: synthesizer, completion, tries, reason, extension: { name: 'reasoning_mom_responses', value: rounds } };
      },
    };

    /** The longest answer of the latest rounds (Athena's fallback when a round or the synthesis fails under `skip`). */
    function bestSoFar(rounds: readonly Round[], tries: readonly LooperTry[], paid: readonly Completion[], notes: readonly string[]): LooperOutcome {
      let best: RoundAnswer | undefined;
      for (const round of [...rounds].reverse()) for (const answer of round.responses) if (answer.content.trim().length > (best?.content.trim().length ?? 0)) best = answer;
      if (best === undefined) throw new RouterError('SY_ERR_UPSTREAM_FAILED', `remom looper: no answer with content (${notes.join('; ')})`);
      const candidate = candidates.findIndex((c) => c.target.name === best.model);
      const completion = composedCompletion(best.model, [{ message: { role: 'assistant', content: best.content }, logprobs: null, finish_reason: 'stop' }], paid);
      return {
        kind: 'answer',
        candidate,
        completion,
        tries,
        reason: `${notes.join('; ')}; the longest earlier answer, by ${best.model}`,
        ...(parameters.include_intermediate_responses ? { extension: { name: 'reasoning_mom_responses', value: rounds } } : {}),
      };
    }
    return { needsEmbedding: false, select: () => ({ index: synthesizer, reason: plan }), looper };
  },
};
