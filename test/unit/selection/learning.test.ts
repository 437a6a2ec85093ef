import { costQualityCurve, pointAtAccuracy } from '../../../src/selection/cost-quality-curve.js';
import { eloSelection, GLOBAL_ELO_TABLE, type EloParameters } from '../../../src/selection/elo.js';
import type { Feedback } from '../../../src/selection/feedback.js';
import { applyToTable, MemorySelectionState } from '../../../src/selection/selection-state.js';
import { LatencyWindows } from '../../../src/selection/latency-windows.js';

const pair = (winner: string, loser: string, tie = false): Feedback => ({
  decision: 'd',
  category: 'c',
  userId: undefined,
  pair: { winner, loser, tie },
  rewards: [
    { model: winner, reward: tie ? 0.5 : 1 },
    { model: loser, reward: tie ? 0.5 : 0 },
  ],
});

describe('selection learning', () => {
  it('an Elo game moves both ratings by K·(score − expected) and counts one game each', () => {
    const table = new Map<string, number>();
    applyToTable(table, { kind: 'elo', table: 't', winner: 'a', loser: 'b', score: 1, k: 32, decay: 0 });
    expect(table.get('a')).toBeCloseTo(16);
    expect(table.get('b')).toBeCloseTo(-16);
    applyToTable(table, { kind: 'elo', table: 't', winner: 'a', loser: 'b', score: 0.5, k: 32, decay: 0.5 });
    // Decay halves the offsets first (8, −8), then the favourite loses points in a draw.
    expect(table.get('a')!).toBeLessThan(8);
    expect(table.get('a#n')).toBe(2);
  });

  it('elo learns a category and keeps the global table', () => {
    const state = new MemorySelectionState();
    const parameters = { ...eloSelection.defaults, min_comparisons: 2 } as EloParameters;
    for (let i = 0; i < 5; i++) state.applyNow(eloSelection.learn!(parameters, pair('strong', 'weak'), () => 0));
    expect(state.get(GLOBAL_ELO_TABLE, 'strong')!).toBeGreaterThan(0);
    expect(state.get('elo:cat:c', 'strong#n')).toBe(5);
  });

  it('latency windows average one or two observations and take percentiles from three', () => {
    const windows = new LatencyWindows();
    windows.observe('m', { ttftMs: 10 });
    windows.observe('m', { ttftMs: 30 });
    expect(windows.percentile('ttft', 'm', 99)).toBe(20);
    windows.observe('m', { ttftMs: 100 });
    expect(windows.percentile('ttft', 'm', 50)).toBe(30);
    expect(windows.percentile('ttft', 'm', 99)).toBe(100);
    expect(windows.percentile('tpot', 'm', 50)).toBeUndefined();
  });

  it('the cost-quality curve walks from always-weak to always-strong by margin', () => {
    const weak = [1, 0, 0, 1];
    const strong = [1, 1, 1, 0];
    const curve = costQualityCurve([0.1, 0.9, 0.5, -0.3], weak, strong);
    expect(curve.map((point) => [point.strongShare, point.accuracy])).toEqual([
      [0, 0.5],
      [0.25, 0.75],
      [0.5, 1],
      [0.75, 1],
      [1, 0.75],
    ]);
    expect(pointAtAccuracy(curve, 0.95)?.strongShare).toBe(0.5);
  });
});
