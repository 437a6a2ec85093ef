import { startCampaignUpstreams, type CampaignUpstreams } from './campaign-fixtures.js';
import {
  badInputPhase,
  cancelStormPhase,
  drainPhase,
  FAST_SCALE,
  faultPhase,
  hugePromptPhase,
  loadPhase,
  resetStormPhase,
  TARGETS,
  type Figure,
} from './campaign-phases.js';
import { ServeUnderTest } from './serve-under-test.js';

/**
 * The CI subset of the reliability campaign (test/reliability/campaign.ts): the same phases
 * with small counts, against the compiled `switchyard serve` (run `make build` first; `make
 * test` does). Each target is its own test, so a report names exactly the targets missed.
 * Phases run once and are shared by the targets they measure.
 */

const SCALE = FAST_SCALE;

function once<T>(run: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= run());
}

/** Shows the figure in the failure message, so a missed target says what was measured. */
function expectMet(figure: Figure | undefined): void {
  expect(figure).toBeDefined();
  expect({ figure: figure!.name, measured: figure!.value, target: figure!.target, met: figure!.met }).toEqual(expect.objectContaining({ met: true }));
}

const find = (figures: readonly Figure[], prefix: string): Figure | undefined => figures.find((figure) => figure.name.startsWith(prefix));

describe('reliability campaign, fast subset', () => {
  let upstreams: CampaignUpstreams;
  let serve: ServeUnderTest;

  const load = once(() => loadPhase(serve, SCALE));
  const badInputs = once(() => badInputPhase(serve, SCALE));
  const faults = once(() => faultPhase(serve, upstreams));
  const cancels = once(() => cancelStormPhase(serve, SCALE));
  const resets = once(() => resetStormPhase(serve, SCALE));
  const hugePrompt = once(() => hugePromptPhase(serve, SCALE));
  const drain = once(() => drainPhase(SCALE));

  beforeAll(async () => {
    upstreams = await startCampaignUpstreams();
    serve = await ServeUnderTest.start(upstreams.config.path);
  }, 90_000);

  afterAll(async () => {
    await serve?.stop();
    await upstreams?.close();
  }, 30_000);

  it(`holds load at c=${SCALE.loadConcurrency} with 0 errors`, async () => {
    expectMet(find((await load()).figures, 'load held'));
  }, 120_000);

  it('keeps RSS flat over the second load batch', async () => {
    expectMet(find((await load()).figures, 'RSS'));
  }, 120_000);

  it('survives every bad input without a crash', async () => {
    expectMet(find((await badInputs()).figures, 'bad inputs: crashes'));
  }, 120_000);

  it('tries every bad input within the time budget', async () => {
    expectMet(find((await badInputs()).figures, 'bad inputs tried'));
  }, 120_000);

  it('answers every bad input (no stall)', async () => {
    expectMet(find((await badInputs()).figures, 'bad inputs: stalls'));
  }, 120_000);

  it('answers client mistakes with a 4xx, never a 5xx', async () => {
    expectMet(find((await badInputs()).figures, 'bad inputs answered 5xx'));
  }, 120_000);

  it(`lets no single request hold the event loop over ${TARGETS.maxLoopHoldMs} ms (on-CPU)`, async () => {
    expectMet(find((await badInputs()).figures, 'max event-loop hold of one bad input'));
  }, 120_000);

  it(`lets a 10 MB JSON string hold the event loop no more than ${TARGETS.maxLoopHoldMs} ms`, async () => {
    expectMet(find((await badInputs()).figures, 'max event-loop hold of a 10 MB JSON string'));
  }, 120_000);

  it('survives upstream, sidecar, Redis and config faults', async () => {
    expectMet(find((await faults()).figures, 'faults survived'));
  }, 120_000);

  it(`fails no healthy request under ${SCALE.cancels.toLocaleString('en-US')} client cancels through the gateway`, async () => {
    expectMet(find((await cancels()).figures, 'healthy failures under a cancel storm'));
  }, 120_000);

  it(`fails no healthy exchange under ${SCALE.cancels.toLocaleString('en-US')} Envoy-style stream resets`, async () => {
    expectMet(find((await resets()).figures, 'healthy failures under'));
  }, 120_000);

  it(`answers a 10 MB prompt in under ${TARGETS.hugePromptMs / 1000} s`, async () => {
    expectMet(find((await hugePrompt()).figures, '10 MB prompt answered'));
  }, 60_000);

  it('keeps /healthz answering during the 10 MB prompt', async () => {
    expectMet(find((await hugePrompt()).figures, '/healthz during'));
  }, 60_000);

  it('loses no request in flight at SIGTERM', async () => {
    expectMet(find((await drain()).figures, 'requests lost at SIGTERM'));
  }, 120_000);
});
