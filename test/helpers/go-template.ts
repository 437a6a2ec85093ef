import { stringify } from 'yaml';

/**
 * A Go text/template renderer for the subset Helm charts in this repository use, so the chart
 * (deploy/helm/switchyard) can be rendered and checked where no `helm` binary exists. It
 * follows text/template's rules for what it supports and throws on anything else, so a chart
 * that uses more fails its test instead of rendering wrong:
 * - actions `{{ … }}` with `{{-` / `-}}` whitespace trimming, and comment actions;
 * - `if` / `else if` / `else` / `end`, `range $item := …` and `with` over lists and maps,
 *   `define "name"` with `include "name" .` and `template "name" .`;
 * - pipelines `a | f b` with fields (`.Values.x.y`, `$.Release.Name`), variables, strings,
 *   numbers, `true`/`false`/`nil` and parenthesised pipelines;
 * - Helm's (sprig) functions: toYaml, nindent, indent, quote, squote, default, required,
 *   printf (%s %d %v), trunc, trimSuffix, eq, ne, lt, gt, and, or, not, empty, list, b64enc.
 */

type Value = unknown;
type Scope = { readonly dot: Value; readonly root: Value; readonly vars: Map<string, Value> };
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; expr: string }
  | { kind: 'if'; branches: { expr: string | undefined; body: Node[] }[] }
  | { kind: 'range' | 'with'; expr: string; variable: string | undefined; body: Node[]; otherwise: Node[] };

interface Token {
  readonly kind: 'text' | 'action';
  readonly text: string;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const open = source.indexOf('{{', index);
    if (open === -1) {
      tokens.push({ kind: 'text', text: source.slice(index) });
      break;
    }
    let text = source.slice(index, open);
    const close = source.indexOf('}}', open);
    if (close === -1) throw new Error(`unclosed action at offset ${open}`);
    let inner = source.slice(open + 2, close);
    if (inner.startsWith('-')) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    let next = close + 2;
    if (inner.endsWith('-')) {
      inner = inner.slice(0, -1);
      const rest = /^\s*/.exec(source.slice(next))![0];
      next += rest.length;
    }
    if (text !== '') tokens.push({ kind: 'text', text });
    const trimmed = inner.trim();
    if (!trimmed.startsWith('/*')) tokens.push({ kind: 'action', text: trimmed });
    index = next;
  }
  return tokens;
}

function parse(tokens: Token[], templates: Map<string, Node[]>): Node[] {
  let position = 0;
  const block = (stops: readonly string[]): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (position < tokens.length) {
      const token = tokens[position++] as Token;
      if (token.kind === 'text') {
        nodes.push({ kind: 'text', text: token.text });
        continue;
      }
      const word = token.text.split(/\s+/)[0] as string;
      if (stops.includes(word) || (word === 'else' && stops.includes('else'))) return { nodes, stop: token.text };
      if (word === 'if') {
        const branches: { expr: string | undefined; body: Node[] }[] = [];
        let expr: string | undefined = token.text.slice(2).trim();
        for (;;) {
          const { nodes: body, stop } = block(['else', 'end']);
          branches.push({ expr, body });
          if (stop === 'end') break;
          expr = stop.startsWith('else if') ? stop.slice('else if'.length).trim() : undefined;
          if (expr === undefined) {
            const last = block(['end']);
            branches.push({ expr: undefined, body: last.nodes });
            break;
          }
        }
        nodes.push({ kind: 'if', branches });
      } else if (word === 'range' || word === 'with') {
        const header = token.text.slice(word.length).trim();
        const assignment = /^(\$\w+)\s*:=\s*(.+)$/.exec(header);
        const { nodes: body, stop } = block(['else', 'end']);
        const otherwise = stop === 'else' ? block(['end']).nodes : [];
        nodes.push({ kind: word, expr: assignment ? (assignment[2] as string) : header, variable: assignment?.[1], body, otherwise });
      } else if (word === 'define') {
        const name = JSON.parse(token.text.slice('define'.length).trim()) as string;
        templates.set(name, block(['end']).nodes);
      } else {
        nodes.push({ kind: 'action', expr: token.text });
      }
    }
    if (stops.length > 0) throw new Error(`missing {{ end }} (expected one of ${stops.join(', ')})`);
    return { nodes, stop: '' };
  };
  return block([]).nodes;
}

function truthy(value: Value): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value as object).length > 0;
  return true;
}

function field(value: Value, path: string[]): Value {
  let current = value;
  for (const key of path) {
    if (current === undefined || current === null) return undefined;
    current = (current as Record<string, Value>)[key];
  }
  return current;
}

function splitWords(expr: string): string[] {
  const words: string[] = [];
  let index = 0;
  while (index < expr.length) {
    const char = expr[index] as string;
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    if (char === '"') {
      let end = index + 1;
      while (end < expr.length && expr[end] !== '"') end += expr[end] === '\\' ? 2 : 1;
      words.push(expr.slice(index, end + 1));
      index = end + 1;
    } else if (char === '(') {
      let depth = 0;
      let end = index;
      for (; end < expr.length; end += 1) {
        if (expr[end] === '(') depth += 1;
        if (expr[end] === ')' && --depth === 0) break;
      }
      words.push(expr.slice(index, end + 1));
      index = end + 1;
    } else if (char === '|') {
      words.push('|');
      index += 1;
    } else {
      let end = index;
      while (end < expr.length && !/[\s|()]/.test(expr[end] as string)) end += 1;
      words.push(expr.slice(index, end));
      index = end;
    }
  }
  return words;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

export class GoTemplateRenderer {
  private readonly templates = new Map<string, Node[]>();

  /** Adds a file's `define`d templates (e.g. `_helpers.tpl`). */
  addHelpers(source: string): void {
    parse(tokenize(source), this.templates);
  }

  render(source: string, root: Value): string {
    return this.renderNodes(parse(tokenize(source), this.templates), { dot: root, root, vars: new Map([['$', root]]) });
  }

  private renderNodes(nodes: readonly Node[], scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          out += node.text;
          break;
        case 'action': {
          if (/^\$\w+\s*:=/.test(node.expr)) {
            const [name, expr] = node.expr.split(/\s*:=\s*/) as [string, string];
            scope.vars.set(name, this.evaluate(expr, scope));
            break;
          }
          const value = this.evaluate(node.expr, scope);
          out += value === undefined || value === null ? '' : typeof value === 'object' ? stringify(value).trimEnd() : String(value);
          break;
        }
        case 'if': {
          const branch = node.branches.find((candidate) => candidate.expr === undefined || truthy(this.evaluate(candidate.expr, scope)));
          if (branch !== undefined) out += this.renderNodes(branch.body, scope);
          break;
        }
        case 'with': {
          const value = this.evaluate(node.expr, scope);
          out += truthy(value) ? this.renderNodes(node.body, { ...scope, dot: value }) : this.renderNodes(node.otherwise, scope);
          break;
        }
        case 'range': {
          const value = this.evaluate(node.expr, scope);
          const items = Array.isArray(value) ? value : value !== null && typeof value === 'object' ? Object.values(value) : [];
          if (items.length === 0) out += this.renderNodes(node.otherwise, scope);
          for (const item of items) {
            const vars = new Map(scope.vars);
            if (node.variable !== undefined) vars.set(node.variable, item);
            out += this.renderNodes(node.body, { ...scope, dot: item, vars });
          }
          break;
        }
      }
    }
    return out;
  }

  private evaluate(expr: string, scope: Scope): Value {
    const words = splitWords(expr);
    const commands: string[][] = [[]];
    for (const word of words) {
      if (word === '|') commands.push([]);
      else (commands[commands.length - 1] as string[]).push(word);
    }
    let piped: Value;
    let first = true;
    for (const command of commands) {
      const args = first ? [] : [piped];
      piped = this.command(command, scope, args);
      first = false;
    }
    return piped;
  }

  private command(words: string[], scope: Scope, piped: Value[]): Value {
    const [head, ...rest] = words;
    if (head === undefined) throw new Error('empty command');
    if (FUNCTIONS[head] !== undefined || head === 'include' || head === 'template') {
      const args = [...rest.map((word) => this.operand(word, scope)), ...piped];
      if (head === 'include' || head === 'template') {
        const body = this.templates.get(args[0] as string);
        if (body === undefined) throw new Error(`no template "${String(args[0])}"`);
        return this.renderNodes(body, { dot: args[1], root: scope.root, vars: new Map([['$', args[1]]]) });
      }
      return (FUNCTIONS[head] as (...values: Value[]) => Value)(...args);
    }
    if (rest.length > 0 || piped.length > 0) throw new Error(`"${head}" is not a function this renderer knows`);
    return this.operand(head, scope);
  }

  private operand(word: string, scope: Scope): Value {
    if (word.startsWith('"')) return JSON.parse(word) as string;
    if (word.startsWith('(')) return this.evaluate(word.slice(1, -1), scope);
    if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === 'nil') return null;
    if (word === '.') return scope.dot;
    if (word.startsWith('.')) return field(scope.dot, word.slice(1).split('.'));
    if (word.startsWith('$')) {
      const [name, ...path] = word.split('.');
      if (!scope.vars.has(name as string)) throw new Error(`undefined variable ${name}`);
      return field(scope.vars.get(name as string), path);
    }
    throw new Error(`"${word}" is not a function or value this renderer knows`);
  }
}

const FUNCTIONS: Readonly<Record<string, (...args: Value[]) => Value>> = {
  toYaml: (value) => (value === undefined || value === null ? '' : stringify(value, { lineWidth: 0 }).trimEnd()),
  nindent: (spaces, text) => `\n${indent(String(text), Number(spaces))}`,
  indent: (spaces, text) => indent(String(text), Number(spaces)),
  quote: (value) => JSON.stringify(value === undefined || value === null ? '' : String(value)),
  squote: (value) => `'${String(value ?? '')}'`,
  default: (fallback, value) => (truthy(value) ? value : fallback),
  required: (message, value) => {
    if (value === undefined || value === null || value === '') throw new Error(String(message));
    return value;
  },
  printf: (format, ...args) => {
    let index = 0;
    return String(format).replace(/%[sdv]/g, () => String(args[index++]));
  },
  trunc: (length, text) => String(text).slice(0, Number(length)),
  trimSuffix: (suffix, text) => (String(text).endsWith(String(suffix)) ? String(text).slice(0, -String(suffix).length) : String(text)),
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => Number(a) < Number(b),
  gt: (a, b) => Number(a) > Number(b),
  and: (...values) => values.reduce((result, value) => (truthy(result) ? value : result)),
  or: (...values) => values.find((value) => truthy(value)) ?? values[values.length - 1],
  not: (value) => !truthy(value),
  empty: (value) => !truthy(value),
  list: (...values) => values,
  b64enc: (value) => Buffer.from(String(value)).toString('base64'),
};
