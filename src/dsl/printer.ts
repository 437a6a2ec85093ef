import type { Block, DslProgram, ExprNode, FieldNode, ModelRefNode, RouteBlock, ValueNode } from './ast.js';
import { DSL_KEYWORDS, IDENT_PATTERN } from './lexer.js';

const WIDTH = 120;
const INDENT = '  ';
const VALUE_WORDS = new Set(['true', 'false', 'null']);

/**
 * Prints a program in the one canonical layout. `fmt` prints a parsed program (keeping its
 * comments and plug-in templates), `decompile` prints one raised from YAML: the same printer.
 * Blocks come out grouped (GLOBAL, BACKEND, SIGNAL by type, PLUGIN templates, ROUTE), each
 * group in source order, which is the order lowering gives them meaning in.
 */
export function printProgram(program: DslProgram): string {
  const parts = orderBlocks(program.blocks).map((block) => `${block.comments.map((line) => `#${line}\n`).join('')}${printBlock(block)}`);
  const trailing = program.trailingComments.map((line) => `#${line}\n`).join('');
  return `${parts.join('\n\n')}${parts.length > 0 ? '\n' : ''}${trailing.length > 0 && parts.length > 0 ? '\n' : ''}${trailing}`;
}

const GROUP_ORDER: Readonly<Record<Block['kind'], number>> = { global: 0, backend: 1, signal: 2, plugin: 3, route: 4 };

function orderBlocks(blocks: readonly Block[]): Block[] {
  const signalTypeOrder = new Map<string, number>();
  for (const block of blocks) if (block.kind === 'signal' && !signalTypeOrder.has(block.type)) signalTypeOrder.set(block.type, signalTypeOrder.size);
  const rank = (block: Block): number => GROUP_ORDER[block.kind] * 1000 + (block.kind === 'signal' ? (signalTypeOrder.get(block.type) ?? 0) : 0);
  return blocks
    .map((block, index) => ({ block, index }))
    .sort((a, b) => rank(a.block) - rank(b.block) || a.index - b.index)
    .map(({ block }) => block);
}

function printBlock(block: Block): string {
  switch (block.kind) {
    case 'global':
      return `GLOBAL ${printObject(block.body.fields, 0, 'GLOBAL '.length, true)}`;
    case 'backend':
      return `BACKEND ${printName(block.type)} ${block.type === 'model' ? JSON.stringify(block.name) : printName(block.name)} ${printObject(block.body.fields, 0, 0, true)}`;
    case 'signal':
      return `SIGNAL ${printName(block.type)} ${printName(block.name)} ${printObject(block.body.fields, 0, 0, true)}`;
    case 'plugin':
      return `PLUGIN ${printName(block.name)} ${printName(block.type)}${block.configuration === undefined ? '' : ` ${printObject(block.configuration.fields, 0, 0, true)}`}`;
    case 'route':
      return printRoute(block);
  }
}

function printRoute(route: RouteBlock): string {
  const lines: string[] = [];
  if (route.priority !== undefined) lines.push(`PRIORITY ${printNumber(route.priority.value)}`);
  if (route.when !== undefined) lines.push(`WHEN ${printExpr(route.when, 'or')}`);
  if (route.models.length > 0) {
    const refs = route.models.map(printModelRef);
    lines.push(`MODEL ${refs.join(`,\n${INDENT}      `)}`);
  }
  if (route.algorithm !== undefined) {
    const { type, options, fields } = route.algorithm;
    const prefix = `ALGORITHM ${printName(type)}${printOptions(options)}`;
    lines.push(fields === undefined ? prefix : `${prefix} ${printObject(fields.fields, 1, INDENT.length + prefix.length + 1, false)}`);
  }
  for (const plugin of route.plugins) {
    const prefix = `PLUGIN ${printName(plugin.name)}`;
    lines.push(plugin.configuration === undefined ? prefix : `${prefix} ${printObject(plugin.configuration.fields, 1, INDENT.length + prefix.length + 1, false)}`);
  }
  for (const field of route.fields) lines.push(printField(field, 1));
  const header = `ROUTE ${printName(route.name)}${printOptions(route.options)}`;
  return lines.length === 0 ? `${header} {}` : `${header} {\n${lines.map((line) => `${INDENT}${line}`).join('\n')}\n}`;
}

/** `reasoning = false` is what a model without options gets, so it is not printed. */
function printModelRef(ref: ModelRefNode): string {
  const options = ref.options.filter((option) => !(option.key === 'reasoning' && option.value.kind === 'scalar' && option.value.value === false));
  return `${JSON.stringify(ref.model)}${printOptions(options)}`;
}

function printOptions(options: readonly FieldNode[]): string {
  if (options.length === 0) return '';
  return ` (${options.map((option) => `${printName(option.key)} = ${printInline(option.value)}`).join(', ')})`;
}

const PRECEDENCE: Readonly<Record<ExprNode['kind'], number>> = { or: 1, and: 2, not: 3, signal: 4, constant: 4 };

/**
 * Prints a rule expression. A child that is an operator of the same or lower precedence is
 * parenthesised, so `a AND (b AND c)` keeps its nested node (and its confidence).
 */
function printExpr(expr: ExprNode, context: 'or' | 'and' | 'not'): string {
  const text = exprText(expr);
  const needs = context === 'not' ? PRECEDENCE[expr.kind] < PRECEDENCE.not : context === 'and' ? PRECEDENCE[expr.kind] <= PRECEDENCE.and : false;
  return needs ? `(${text})` : text;
}

function exprText(expr: ExprNode): string {
  switch (expr.kind) {
    case 'signal':
      return `${expr.type}(${JSON.stringify(expr.name)})`;
    case 'constant':
      return expr.value ? 'TRUE' : 'FALSE';
    case 'not':
      return `NOT ${printExpr(expr.operand, 'not')}`;
    case 'and':
      return expr.operands.map((operand) => printExpr(operand, 'and')).join(' AND ');
    case 'or':
      // An OR directly inside an OR is its own node: parenthesise it too.
      return expr.operands.map((operand) => (operand.kind === 'or' ? `(${exprText(operand)})` : printExpr(operand, 'or'))).join(' OR ');
  }
}

function printName(name: string): string {
  return IDENT_PATTERN.test(name) && !DSL_KEYWORDS.has(name) && !VALUE_WORDS.has(name) ? name : JSON.stringify(name);
}

function printNumber(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

function printInline(value: ValueNode): string {
  switch (value.kind) {
    case 'scalar':
      if (typeof value.value === 'string') return JSON.stringify(value.value);
      if (typeof value.value === 'number') return printNumber(value.value);
      return String(value.value);
    case 'list':
      return `[${value.items.map(printInline).join(', ')}]`;
    case 'object':
      return value.fields.length === 0 ? '{}' : `{ ${value.fields.map((field) => `${printName(field.key)}: ${printInline(field.value)}`).join(', ')} }`;
  }
}

function printField(field: FieldNode, depth: number): string {
  const prefix = `${printName(field.key)}: `;
  return `${prefix}${printValue(field.value, depth, depth * INDENT.length + prefix.length)}`;
}

/** A value inline when it fits in the line, else one item per line. */
function printValue(value: ValueNode, depth: number, column: number): string {
  const inline = printInline(value);
  if (value.kind === 'scalar' || column + inline.length <= WIDTH) return inline;
  if (value.kind === 'object') return printObject(value.fields, depth, column, false);
  const inner = INDENT.repeat(depth + 1);
  return `[\n${value.items.map((item) => `${inner}${printValue(item, depth + 1, inner.length)}`).join(',\n')}\n${INDENT.repeat(depth)}]`;
}

/** A block body (always one field per line) or an object value (inline when it fits). */
function printObject(fields: readonly FieldNode[], depth: number, column: number, block: boolean): string {
  if (fields.length === 0) return '{}';
  if (!block) {
    const inline = printInline({ kind: 'object', fields, at: { line: 0, col: 0, offset: 0 } });
    if (column + inline.length <= WIDTH) return inline;
  }
  const inner = INDENT.repeat(depth + 1);
  return `{\n${fields.map((field) => `${inner}${printField(field, depth + 1)}`).join('\n')}\n${INDENT.repeat(depth)}}`;
}
