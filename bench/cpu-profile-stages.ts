import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly endTime: number;
}

/** The stage a frame belongs to, or undefined to look at its caller. */
function frameStage(url: string, functionName: string): string | undefined {
  if (url.includes('node_modules/onnxruntime-node') || url.includes('inference-thread')) return 'ONNX inference (session.run)';
  const source = /\/src\/([^/]+)\/(?:([^/]+)\/)?([^/]+?)\.[jt]s$/.exec(url);
  if (source !== null) {
    const [, folder, sub, file] = source;
    if (folder === 'signals') return `signals: ${sub ?? file}`;
    if (folder === 'classifiers') return `classifiers: ${file}`;
    return folder!;
  }
  if (url.includes('node_modules/')) return `package ${url.split('node_modules/').pop()!.split('/')[0]}`;
  if (url === '' && functionName.startsWith('(') && functionName !== '(root)') return functionName;
  return undefined;
}

/**
 * Self time of a V8 .cpuprofile by stage (idle excluded), as shares of the busy time, highest first;
 * only the samples of the profile's last `lastSeconds` (the measured window, not start-up).
 * A sample counts for the innermost frame on its stack that belongs to a stage: Node's own code and
 * built-ins count for the project code that called them.
 */
export function cpuByStage(file: string, lastSeconds = Number.POSITIVE_INFINITY): [string, number][] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const { url, functionName } = byId.get(id)!.callFrame;
    const up = parent.get(id);
    const stage = frameStage(url, functionName) ?? (up === undefined ? 'node (no project caller)' : resolve(up));
    stageOf.set(id, stage);
    return stage;
  };
  const counts = new Map<string, number>();
  let busy = 0;
  const times: number[] = [];
  let time = profile.endTime;
  for (let i = profile.samples.length - 1; i >= 0; i--) {
    times[i] = time;
    time -= profile.timeDeltas[i]!;
  }
  const from = profile.endTime - lastSeconds * 1e6;
  for (const [i, id] of profile.samples.entries()) {
    if (times[i]! < from) continue;
    const stage = resolve(id);
    if (stage === '(idle)') continue;
    busy += 1;
    counts.set(stage, (counts.get(stage) ?? 0) + 1);
  }
  return [...counts].map(([stage, n]): [string, number] => [stage, n / busy]).sort((a, b) => b[1] - a[1]);
}
