import { costQualityCurve, curveArea, pointAtQualityTarget } from './cost-quality-curve.js';
import { kmeansKind } from './kmeans.js';
import { knnKind } from './knn.js';
import { mlpKind } from './mlp.js';
import { svmKind } from './svm.js';
import { trainedSelection, type QualityPredictor, type TrainedKind, type TrainedParameters } from './trained-selector.js';

interface EnsembleParameters extends TrainedParameters {
  /** Training only (`switchyard train-selector --members`): the kinds fitted and weighed on val. */
  readonly members?: readonly string[];
  /** Training options of the member kinds (k, prototypes, num_clusters…), passed on to each. */
  readonly [memberOption: string]: unknown;
}

interface EnsembleMember {
  readonly kind: string;
  readonly weight: number;
  readonly training: Readonly<Record<string, unknown>>;
  readonly payload: unknown;
}

interface EnsemblePayload {
  readonly models: number;
  /** The members with a weight above 0; weights sum to 1. */
  readonly members: readonly EnsembleMember[];
}

/** The kinds an ensemble can hold. */
const MEMBER_KINDS: Readonly<Record<string, TrainedKind<TrainedParameters, unknown>>> = {
  knn: knnKind as unknown as TrainedKind<TrainedParameters, unknown>,
  kmeans: kmeansKind as unknown as TrainedKind<TrainedParameters, unknown>,
  svm: svmKind as unknown as TrainedKind<TrainedParameters, unknown>,
  mlp: mlpKind as unknown as TrainedKind<TrainedParameters, unknown>,
};
const DEFAULT_MEMBERS = ['knn', 'kmeans', 'mlp'];
/** Weights are searched on a grid of this many steps per unit (0, 0.1, … 1), coarse so val cannot be overfitted finely. */
const WEIGHT_STEPS = 10;

/** Every way to split `total` steps between `parts` members (each weight a multiple of 1/steps, summing to 1). */
function compositions(parts: number, total: number): number[][] {
  if (parts === 1) return [[total]];
  const out: number[][] = [];
  for (let first = 0; first <= total; first++) for (const rest of compositions(parts - 1, total - first)) out.push([first, ...rest]);
  return out;
}

/** Fewer strong calls at the 95% target; on a tie the better curve overall, then fewer members (faster). */
function better(a: { share: number; area: number; members: number }, b: { share: number; area: number; members: number }): boolean {
  if (Math.abs(a.share - b.share) > 1e-12) return a.share < b.share;
  if (Math.abs(a.area - b.area) > 1e-12) return a.area > b.area;
  return a.members < b.members;
}

/**
 * A weighted average of other trained selectors' predicted qualities. Each member is fitted on the
 * train split; the weights are the grid point whose blended margins send the fewest val prompts
 * to the strong model at 95% of its accuracy (ties: the larger area under the val curve, then
 * fewer members, which is faster). Members weighted 0 are left out of the file. Test rows play
 * no part.
 */
export const ensembleKind: TrainedKind<EnsembleParameters, EnsemblePayload> = {
  kind: 'ensemble',
  aliases: [],
  parameters: {},
  defaults: {},
  train(set, parameters, random, validation) {
    if (validation === undefined || validation.features.length === 0) throw new Error('an ensemble needs rows with split "val" to weigh its members');
    const names = parameters.members ?? DEFAULT_MEMBERS;
    const unknown = names.filter((name) => MEMBER_KINDS[name] === undefined);
    if (unknown.length > 0 || names.length === 0) throw new Error(`ensemble members must be among ${Object.keys(MEMBER_KINDS).join(', ')} (got ${names.join(', ') || 'none'})`);
    const strongSlot = set.models.length - 1;
    const { members: _members, ...memberParameters } = parameters;
    const fitted = names.map((name) => {
      const kind = MEMBER_KINDS[name]!;
      // Each member reads the training options meant for its kind (--k, --prototypes, --clusters…).
      const { payload, training } = kind.train(set, { ...kind.defaults, ...memberParameters }, random, validation);
      const predict = kind.predictor(payload, kind.defaults);
      const predicted = new Float64Array(set.models.length);
      const margins = validation.features.map((features) => {
        predict(features, predicted);
        return predicted[strongSlot]! - predicted[0]!;
      });
      return { kind: name, payload, training, margins };
    });
    const weak = validation.outcomes.map((row) => row[0]!);
    const strong = validation.outcomes.map((row) => row[strongSlot]!);
    let chosen: { weights: number[]; share: number; area: number; members: number } | undefined;
    for (const weights of compositions(fitted.length, WEIGHT_STEPS).map((steps) => steps.map((step) => step / WEIGHT_STEPS))) {
      const margins = weak.map((_, row) => fitted.reduce((sum, member, i) => sum + weights[i]! * member.margins[row]!, 0));
      const curve = costQualityCurve(margins, weak, strong);
      const candidate = { weights, share: pointAtQualityTarget(curve, strong)?.strongShare ?? 1, area: curveArea(curve), members: weights.filter((weight) => weight > 0).length };
      if (chosen === undefined || better(candidate, chosen)) chosen = candidate;
    }
    const members = fitted.flatMap((member, i) => (chosen!.weights[i]! > 0 ? [{ kind: member.kind, weight: chosen!.weights[i]!, training: member.training, payload: member.payload }] : []));
    return {
      payload: { models: set.models.length, members },
      training: {
        candidates: names,
        weights: Object.fromEntries(members.map((member) => [member.kind, member.weight])),
        weight_grid_steps: WEIGHT_STEPS,
        val_share_at_95: chosen!.share,
        val_curve_area: chosen!.area,
        members: Object.fromEntries(members.map((member) => [member.kind, member.training])),
      },
    };
  },
  predictor(payload) {
    const members = payload.members.map((member) => {
      const kind = MEMBER_KINDS[member.kind];
      if (kind === undefined) throw new Error(`unknown ensemble member kind "${member.kind}"`);
      return { weight: member.weight, predict: kind.predictor(member.payload, kind.defaults) as QualityPredictor, out: new Float64Array(payload.models) };
    });
    return (features, out) => {
      out.fill(0);
      for (const member of members) {
        member.predict(features, member.out);
        for (let m = 0; m < payload.models; m++) out[m]! += member.weight * member.out[m]!;
      }
    };
  },
};

export const ensembleSelection = trainedSelection(ensembleKind);
