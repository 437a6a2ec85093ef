/** One earlier answer a synthesis prompt shows. */
export interface ReferenceResponse {
  readonly Content: string;
  readonly Reasoning: string;
  readonly Model: string;
}

/** What a synthesis template reads: Athena's field names. */
export interface SynthesisData {
  readonly OriginalContent: string;
  readonly ReferenceResponses: readonly ReferenceResponse[];
}

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly value: Expression }
  | { readonly kind: 'if'; readonly test: Expression; readonly then: Node[]; readonly otherwise: Node[] }
  | { readonly kind: 'range'; readonly index: string | undefined; readonly element: string | undefined; readonly body: Node[] };

/** A value: a field of dot or of a variable, a variable, or `add X N`. */
type Expression = (scope: Scope) => string | number;

interface Scope {
  readonly dot: unknown;
  readonly variables: ReadonlyMap<string, unknown>;
}

/** The fields of the synthesis data and of each reference response. */
const FIELDS = new Set(['OriginalContent', 'ReferenceResponses', 'Content', 'Reasoning', 'Model']);

const FIELD = /^(\$[A-Za-z_]\w*)?((?:\.[A-Za-z_]\w*)*)$/;

function field(path: string, text: string): Expression {
  const match = FIELD.exec(path);
  if (match === null || (match[1] === undefined && match[2] === '') || path === '$') {
    if (path === '.') return (scope) => String(scope.dot);
    throw new Error(`unsupported template value "{{${text}}}"`);
  }
  const variable = match[1];
  const keys = match[2]!.split('.').slice(1);
  const unknown = keys.find((key) => !FIELDS.has(key));
  if (unknown !== undefined) throw new Error(`unknown field .${unknown} in "{{${text}}}"; a synthesis template reads ${[...FIELDS].map((name) => `.${name}`).join(', ')}`);
  return (scope) => {
    let value: unknown = variable === undefined ? scope.dot : scope.variables.get(variable);
    if (variable !== undefined && !scope.variables.has(variable)) throw new Error(`undefined variable ${variable}`);
    for (const key of keys) value = (value as Record<string, unknown> | undefined)?.[key];
    return typeof value === 'number' ? value : typeof value === 'string' ? value : '';
  };
}

function expression(text: string): Expression {
  const words = text.trim().split(/\s+/);
  if (words[0] === 'add' && words.length === 3) {
    const operands = words.slice(1).map((word) => (/^-?\d+$/.test(word) ? () => Number(word) : field(word, text)));
    return (scope) => operands.reduce((sum, operand) => sum + Number(operand(scope)), 0);
  }
  if (words.length !== 1) throw new Error(`unsupported template action "{{${text}}}"`);
  return field(words[0]!, text);
}

/** Splits a template into text and `{{…}}` actions, applying Go's `{{-` and `-}}` whitespace trims. */
function tokens(template: string): { text?: string; action?: string }[] {
  const out: { text?: string; action?: string }[] = [];
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('{{', at);
    if (open < 0) {
      out.push({ text: template.slice(at) });
      break;
    }
    const close = template.indexOf('}}', open + 2);
    if (close < 0) throw new Error('unclosed "{{" in the synthesis template');
    let text = template.slice(at, open);
    let action = template.slice(open + 2, close);
    if (action.startsWith('- ')) {
      text = text.trimEnd();
      action = action.slice(1);
    }
    let next = close + 2;
    if (action.endsWith(' -')) {
      action = action.slice(0, -1);
      while (next < template.length && /\s/.test(template[next]!)) next++;
    }
    if (text !== '') out.push({ text });
    out.push({ action: action.trim() });
    at = next;
  }
  return out;
}

const RANGE = /^range\s+(?:(\$\w+)\s*(?:,\s*(\$\w+)\s*)?:=\s*)?\.ReferenceResponses$/;

function parse(list: { text?: string; action?: string }[], position: { at: number }, closers: readonly string[]): { nodes: Node[]; closer: string | undefined } {
  const nodes: Node[] = [];
  while (position.at < list.length) {
    const token = list[position.at++]!;
    if (token.text !== undefined) {
      nodes.push({ kind: 'text', text: token.text });
      continue;
    }
    const action = token.action!;
    if (closers.includes(action)) return { nodes, closer: action };
    if (action.startsWith('/*')) continue;
    if (action.startsWith('if ')) {
      const test = expression(action.slice(3));
      const then = parse(list, position, ['end', 'else']);
      const otherwise = then.closer === 'else' ? parse(list, position, ['end']) : { nodes: [], closer: 'end' };
      if (otherwise.closer !== 'end') throw new Error('"{{if}}" without "{{end}}" in the synthesis template');
      nodes.push({ kind: 'if', test, then: then.nodes, otherwise: otherwise.nodes });
      continue;
    }
    if (action.startsWith('range')) {
      const match = RANGE.exec(action);
      if (match === null) throw new Error(`unsupported "{{${action}}}": a synthesis template ranges over .ReferenceResponses`);
      const body = parse(list, position, ['end']);
      if (body.closer !== 'end') throw new Error('"{{range}}" without "{{end}}" in the synthesis template');
      // Go binds one variable to the element, two to index and element.
      const [index, element] = match[2] === undefined ? [undefined, match[1]] : [match[1], match[2]];
      nodes.push({ kind: 'range', index, element, body: body.nodes });
      continue;
    }
    if (['end', 'else'].includes(action)) throw new Error(`"{{${action}}}" without an opening action in the synthesis template`);
    nodes.push({ kind: 'value', value: expression(action) });
  }
  return { nodes, closer: undefined };
}

function render(nodes: readonly Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'value':
        out += String(node.value(scope));
        break;
      case 'if': {
        const value = node.test(scope);
        out += render(value !== '' && value !== 0 ? node.then : node.otherwise, scope);
        break;
      }
      case 'range': {
        const responses = (scope.variables.get('$') as SynthesisData).ReferenceResponses;
        responses.forEach((response, i) => {
          const variables = new Map(scope.variables);
          if (node.index !== undefined) variables.set(node.index, i);
          if (node.element !== undefined) variables.set(node.element, response);
          out += render(node.body, { dot: response, variables });
        });
        break;
      }
    }
  }
  return out;
}

/**
 * Compiles a remom `synthesis_template`, written as for Athena in Go's text/template syntax, to a
 * function of the synthesis data. The subset Athena's templates use is understood: `{{.OriginalContent}}`,
 * `{{range $i, $resp := .ReferenceResponses}}…{{end}}` (or `{{range .ReferenceResponses}}` with
 * `{{.Content}}`), fields `.Content`, `.Reasoning`, `.Model`, `{{add $i 1}}`, `{{if X}}…{{else}}…{{end}}`,
 * comments and `{{-`/`-}}` trims. Anything else throws here, when the config compiles, with the action named.
 */
export function compileSynthesisTemplate(template: string): (data: SynthesisData) => string {
  const list = tokens(template);
  const { nodes } = parse(list, { at: 0 }, []);
  return (data) => render(nodes, { dot: data, variables: new Map([['$', data]]) });
}
