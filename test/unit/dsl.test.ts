import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { compileDslText } from '../../src/dsl/compile-dsl.js';
import { decompileYamlText } from '../../src/dsl/decompile.js';
import { parseDsl } from '../../src/dsl/parser.js';
import { printProgram } from '../../src/dsl/printer.js';
import { renderTarget } from '../../src/dsl/targets.js';
import { canonicalDocument } from '../helpers/canonical-config.js';
import { seededRandom } from '../../src/seeded-random.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const casesDir = join(root, 'test', 'fixtures', 'dsl');
const cases = readdirSync(casesDir).filter((name) => existsSync(join(casesDir, name, 'input.dsl')));
// `UPDATE_GOLDEN=1` rewrites the expected files; review the diff before committing.
const update = process.env.UPDATE_GOLDEN === '1';

function golden(file: string, actual: string): void {
  if (update) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

function fmt(text: string): string {
  const { program, problems } = parseDsl(text);
  expect(problems).toEqual([]);
  return printProgram(program);
}

describe('DSL golden cases (test/fixtures/dsl/<case>/)', () => {
  it.each(cases)('%s', (name) => {
    const dir = join(casesDir, name);
    const input = readFileSync(join(dir, 'input.dsl'), 'utf8');
    const result = compileDslText(input, 'input.dsl');
    if (existsSync(join(dir, 'diagnostics.txt'))) {
      golden(join(dir, 'diagnostics.txt'), result.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity} ${d.code}`).join('\n') + '\n');
      expect(result.document).toBeUndefined();
      return;
    }
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    golden(join(dir, 'compiled.yaml'), renderTarget(result.document!, 'yaml'));
    golden(join(dir, 'formatted.dsl'), fmt(input));
    // fmt is idempotent.
    expect(fmt(fmt(input))).toBe(fmt(input));
  });
});

describe('DSL diagnostics', () => {
  const errors = compileDslText(readFileSync(join(casesDir, 'errors', 'input.dsl'), 'utf8'), 'errors.dsl');
  const message = (line: number, col: number): string => errors.diagnostics.find((d) => d.line === line && d.col === col)?.message ?? '';

  it('offers the closest name for misspelled signal types, signal names, models and plug-ins', () => {
    expect(message(7, 8)).toContain('did you mean "keyword"?');
    expect(message(16, 16)).toContain('did you mean "coding"?');
    expect(message(16, 30)).toContain('did you mean "domain"?');
    expect(message(17, 9)).toContain('did you mean "local"?');
    expect(message(18, 10)).toContain('did you mean "system_prompt"?');
  });

  it('reports a syntax error and goes on to the next block', () => {
    expect(errors.diagnostics.filter((d) => d.code === 'SY_DSL_SYNTAX')).toHaveLength(1);
    expect(errors.diagnostics.some((d) => d.line > 11)).toBe(true);
  });

  it('reports schema problems (out-of-range threshold) at the value token', () => {
    expect(errors.diagnostics.find((d) => d.code === 'SY_CFG_SCHEMA')).toMatchObject({ line: 8, col: 38 });
  });

  it('reports an unterminated string, an unclosed block and a stray character, each located', () => {
    const result = compileDslText('GLOBAL { version: "v0.1 }\nSIGNAL keyword k { keywords: ["a"] \nROUTE r { MODEL "m" } %\n', 'x.dsl');
    expect(result.diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(
      expect.arrayContaining(['1:19 SY_DSL_SYNTAX', '3:23 SY_DSL_SYNTAX']),
    );
  });

  it('reports a missing required model list at the route name', () => {
    const result = compileDslText('GLOBAL { version: "v0.1" }\nBACKEND model "m" { endpoints: [{ name: "e", endpoint: "h:1" }] }\nROUTE lonely { PRIORITY 1 }\n', 'x.dsl');
    expect(result.diagnostics).toEqual([expect.objectContaining({ line: 3, col: 7, code: 'SY_CFG_SCHEMA' })]);
  });
});

/** Config files in the repository that load: each must survive decompile then compile. */
function exampleConfigs(): string[] {
  const files = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.yaml')).map((file) => join(root, 'examples', file));
  return [...files, join(root, 'test', 'fixtures', 'configs', 'safety.yaml')];
}

describe('DSL round trip', () => {
  it.each(exampleConfigs())('compile(decompile(yaml)) is the YAML config: %s', (file) => {
    const text = readFileSync(file, 'utf8');
    const decompiled = decompileYamlText(text, file);
    expect(decompiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const compiled = compileDslText(decompiled.dsl!, 'decompiled.dsl');
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(canonicalDocument(compiled.document!)).toEqual(canonicalDocument(parse(text) as Record<string, unknown>));
    // decompile(compile(dsl)) is fmt(dsl).
    expect(decompileYamlText(renderTarget(compiled.document!, 'yaml'), 'x.yaml').dsl).toBe(fmt(decompiled.dsl!));
  });

  it.each(cases.filter((name) => existsSync(join(casesDir, name, 'compiled.yaml'))))('decompile(compile(dsl)) is fmt(dsl) without templates and comments: %s', (name) => {
    const input = readFileSync(join(casesDir, name, 'input.dsl'), 'utf8');
    const compiled = compileDslText(input, 'input.dsl');
    const decompiled = decompileYamlText(renderTarget(compiled.document!, 'yaml'), 'compiled.yaml').dsl!;
    const withoutComments = fmt(input).replace(/^#.*\n/gm, '');
    if (!/^PLUGIN \S+ \S+/m.test(input)) expect(decompiled).toBe(withoutComments);
    // With templates, the decompiled file inlines them and still compiles to the same config.
    expect(compileDslText(decompiled, 'again.dsl').document).toEqual(compiled.document);
  });

  it('holds for 300 generated configs (random signals, nested rule trees, models, plug-ins)', () => {
    const random = seededRandom(20261207);
    for (let index = 0; index < 300; index += 1) {
      const document = generateConfig(random);
      const yaml = renderTarget(document, 'yaml');
      const decompiled = decompileYamlText(yaml, `generated-${index}.yaml`);
      expect(decompiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const compiled = compileDslText(decompiled.dsl!, `generated-${index}.dsl`);
      expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(canonicalDocument(compiled.document!)).toEqual(canonicalDocument(document));
      expect(fmt(decompiled.dsl!)).toBe(decompiled.dsl);
    }
  });
});

describe('DSL targets', () => {
  const document = compileDslText(readFileSync(join(casesDir, 'walkthrough-snippet', 'input.dsl'), 'utf8'), 'x.dsl').document!;

  it('crd: one SemanticRouter resource with the whole config in spec.config', () => {
    const resource = parse(renderTarget(document, 'crd', { name: 'edge', namespace: 'llm' })) as Record<string, any>;
    expect(resource).toMatchObject({ apiVersion: 'switchyard.io/v1alpha1', kind: 'SemanticRouter', metadata: { name: 'edge', namespace: 'llm' } });
    expect(resource.spec.config).toEqual(document);
  });

  it('helm: the config under config:', () => {
    expect(parse(renderTarget(document, 'helm'))).toEqual({ config: document });
  });
});


function generateConfig(random: () => number): Record<string, unknown> {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const count = (max: number): number => 1 + Math.floor(random() * max);
  const word = (): string => pick(['alpha', 'beta', 'gamma', 'delta', 'code', 'math', 'proof', 'urgent', 'hello world', 'naïve "quoted"', 'x:y', 'AND']);
  const models = Array.from({ length: count(3) }, (_unused, index) => ({
    name: pick(['local', 'qwen2.5:3b', 'org/model-7b', 'gpt-oss-20b', 'TRUE']) + index,
    endpoints: [{ name: 'primary', endpoint: `127.0.0.1:${8000 + index}`, ...(random() < 0.5 && { weight: count(100) }) }],
    ...(random() < 0.3 && { pricing: { prompt_per_1m: Math.round(random() * 1000) / 100, completion_per_1m: 10 } }),
    ...(random() < 0.2 && { access_key: '${CLOUD_KEY}' }),
  }));
  const keywords = Array.from({ length: count(3) }, (_unused, index) => ({ name: `kw_${index}`, operator: pick(['OR', 'AND', 'NOR']), keywords: Array.from({ length: count(3) }, word) }));
  const contexts = random() < 0.5 ? [{ name: 'long', min_tokens: pick(['4K', '8K', '1.5M']) }] : [];
  const leaves = [...keywords.map((rule) => ({ type: 'keyword', name: rule.name })), ...contexts.map((rule) => ({ type: 'context', name: rule.name }))];
  const tree = (depth: number): Record<string, unknown> => {
    if (depth === 0 || random() < 0.35) return { ...pick(leaves) };
    const operator = pick(['AND', 'OR', 'NOT']);
    const size = operator === 'NOT' ? 1 : Math.floor(random() * 4);
    return { operator, conditions: Array.from({ length: size }, () => tree(depth - 1)) };
  };
  const decisions = Array.from({ length: count(4) }, (_unused, index) => ({
    name: `route-${index}`,
    ...(random() < 0.5 && { description: `route ${word()}` }),
    ...(random() < 0.8 && { priority: Math.floor(random() * 200) }),
    rules: tree(3),
    modelRefs: Array.from({ length: count(2) }, () => ({
      model: pick(models).name,
      use_reasoning: random() < 0.5,
      ...(random() < 0.3 && { reasoning_effort: pick(['low', 'medium', 'high']) }),
    })),
    ...(random() < 0.4 && { plugins: [pick([{ type: 'system_prompt', configuration: { system_prompt: word() } }, { type: 'block' }, { type: 'semantic-cache', configuration: { enabled: random() < 0.5 } }])] }),
  }));
  return {
    version: 'v0.1',
    ...(random() < 0.5 && { listeners: [{ name: 'http', address: '127.0.0.1', port: 8000 + count(1000) }] }),
    providers: { models, default_model: models[0]!.name },
    signals: { keywords, ...(contexts.length > 0 && { context: contexts }) },
    decisions,
  };
}

describe('custom resource definitions (deploy/kubernetes/crds)', () => {
  const crdDir = join(root, 'deploy', 'kubernetes', 'crds');
  const crds = readdirSync(crdDir).map((file) => parse(readFileSync(join(crdDir, file), 'utf8')) as Record<string, any>);

  it('each names its plural.group and serves v1alpha1 with a status subresource', () => {
    expect(crds.map((crd) => crd.metadata.name).sort()).toEqual(['intelligentpools.switchyard.io', 'intelligentroutes.switchyard.io', 'semanticrouters.switchyard.io']);
    for (const crd of crds) {
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
      expect(crd.spec.versions).toEqual([expect.objectContaining({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } })]);
    }
  });

  it('the crd target is a valid SemanticRouter for its CRD', () => {
    const crd = crds.find((candidate) => candidate.spec.names.kind === 'SemanticRouter')!;
    const resource = parse(renderTarget(compileDslText(readFileSync(join(root, 'examples', 'seed-tutorial.dsl'), 'utf8'), 'seed.dsl').document!, 'crd')) as Record<string, any>;
    expect(resource.apiVersion).toBe(`${crd.spec.group}/${crd.spec.versions[0].name}`);
    expect(resource.kind).toBe(crd.spec.names.kind);
    const schema = crd.spec.versions[0].schema.openAPIV3Schema;
    for (const key of schema.required) expect(resource).toHaveProperty(key);
    for (const key of schema.properties.spec.required) expect(resource.spec).toHaveProperty(key);
  });
});
