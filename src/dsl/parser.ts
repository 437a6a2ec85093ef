import type {
  AlgorithmNode,
  Block,
  DslProgram,
  ExprNode,
  FieldNode,
  ModelRefNode,
  PluginUseNode,
  RouteBlock,
  ValueNode,
} from './ast.js';
import { lexDsl, type SourcePosition, type Token } from './lexer.js';

/** A syntax problem at a token. */
export interface SyntaxProblem {
  readonly at: SourcePosition;
  readonly message: string;
}

type ObjectNode = ValueNode & { readonly kind: 'object' };

const TOP_LEVEL = new Set(['SIGNAL', 'ROUTE', 'PLUGIN', 'BACKEND', 'GLOBAL']);
const ROUTE_ITEMS = new Set(['PRIORITY', 'WHEN', 'MODEL', 'ALGORITHM', 'PLUGIN']);

class SyntaxError extends Error {
  constructor(readonly at: SourcePosition, message: string) {
    super(message);
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of file';
    case 'string':
      return `string ${JSON.stringify(token.text)}`;
    case 'keyword':
      return `keyword ${token.text}`;
    default:
      return `"${token.text}"`;
  }
}

/**
 * Recursive-descent parser for the routing DSL (grammar in src/dsl/README.md). A syntax error
 * skips to the next top-level keyword and parsing goes on, so one run reports every block's
 * first problem instead of only the file's first.
 */
class Parser {
  private index = 0;
  private readonly tokens: Token[];
  readonly problems: SyntaxProblem[] = [];

  constructor(tokens: Token[]) {
    this.tokens = tokens.filter((token) => token.kind !== 'comment');
    this.comments = tokens.filter((token) => token.kind === 'comment');
  }

  private readonly comments: Token[];
  private commentIndex = 0;

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index += 1;
    return token;
  }

  private isPunct(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'punct' && token.text === text;
  }

  private isKeyword(text: string): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && token.text === text;
  }

  private expectPunct(text: string, context: string): Token {
    const token = this.peek();
    if (token.kind !== 'punct' || token.text !== text) throw new SyntaxError(token.start, `expected "${text}" ${context}, found ${describe(token)}`);
    return this.next();
  }

  /** A name: an identifier or a string (for names with spaces or colons, such as "qwen2.5:3b"). */
  private name(what: string): Token {
    const token = this.peek();
    if (token.kind !== 'ident' && token.kind !== 'string') throw new SyntaxError(token.start, `expected ${what}, found ${describe(token)}`);
    return this.next();
  }

  /** Comment lines between the previous block and the token at `before`. */
  private takeComments(before: SourcePosition): string[] {
    const taken: string[] = [];
    while (this.commentIndex < this.comments.length && (this.comments[this.commentIndex] as Token).start.offset < before.offset) {
      taken.push((this.comments[this.commentIndex] as Token).text);
      this.commentIndex += 1;
    }
    return taken;
  }

  parseProgram(): DslProgram {
    const blocks: Block[] = [];
    while (this.peek().kind !== 'eof') {
      const token = this.peek();
      const comments = this.takeComments(token.start);
      try {
        if (token.kind !== 'keyword' || !TOP_LEVEL.has(token.text)) {
          throw new SyntaxError(token.start, `expected SIGNAL, ROUTE, PLUGIN, BACKEND or GLOBAL, found ${describe(token)}`);
        }
        blocks.push(this.block(comments));
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        this.problems.push({ at: error.at, message: error.message });
        this.recover();
      }
    }
    return { blocks, trailingComments: this.takeComments(this.peek().start) };
  }

  /** Skips to the next top-level keyword (at least one token, so parsing always advances). */
  private recover(): void {
    this.next();
    while (this.peek().kind !== 'eof' && !(this.peek().kind === 'keyword' && TOP_LEVEL.has(this.peek().text) && this.atBlockStart())) this.next();
  }

  /** `PLUGIN` also appears inside routes; a top-level one follows a closing brace or starts a line. */
  private atBlockStart(): boolean {
    if (this.peek().text !== 'PLUGIN') return true;
    const previous = this.tokens[this.index - 1];
    return previous === undefined || (previous.kind === 'punct' && previous.text === '}') || previous.start.line < this.peek().start.line;
  }

  private block(comments: string[]): Block {
    const keyword = this.next();
    switch (keyword.text) {
      case 'SIGNAL': {
        const type = this.name('a signal type');
        const name = this.name('a signal name');
        return { kind: 'signal', comments, type: type.text, typeAt: type.start, name: name.text, nameAt: name.start, body: this.object('after the signal name') };
      }
      case 'PLUGIN': {
        const name = this.name('a plug-in template name');
        const type = this.name('a plug-in type');
        const configuration = this.isPunct('{') ? this.object('') : undefined;
        return { kind: 'plugin', comments, name: name.text, nameAt: name.start, type: type.text, typeAt: type.start, ...(configuration && { configuration }) };
      }
      case 'BACKEND': {
        const type = this.name('a backend type');
        const name = this.name('a backend name');
        return { kind: 'backend', comments, type: type.text, typeAt: type.start, name: name.text, nameAt: name.start, body: this.object('after the backend name') };
      }
      case 'GLOBAL':
        return { kind: 'global', comments, at: keyword.start, body: this.object('after GLOBAL') };
      default:
        return this.route(comments);
    }
  }

  private route(comments: string[]): RouteBlock {
    const name = this.name('a route name');
    const options = this.isPunct('(') ? this.options() : [];
    this.expectPunct('{', 'to open the route');
    let priority: RouteBlock['priority'];
    let when: ExprNode | undefined;
    let algorithm: AlgorithmNode | undefined;
    const models: ModelRefNode[] = [];
    const plugins: PluginUseNode[] = [];
    const fields: FieldNode[] = [];
    const once = (present: unknown, token: Token): void => {
      if (present !== undefined) throw new SyntaxError(token.start, `${token.text} appears twice in route "${name.text}"`);
    };
    while (!this.isPunct('}')) {
      if (this.isPunct(';') || this.isPunct(',')) {
        this.next();
        continue;
      }
      const token = this.peek();
      if (token.kind === 'keyword' && ROUTE_ITEMS.has(token.text)) {
        this.next();
        if (token.text === 'PRIORITY') {
          once(priority, token);
          const value = this.peek();
          if (value.kind !== 'number') throw new SyntaxError(value.start, `expected a number after PRIORITY, found ${describe(value)}`);
          this.next();
          priority = { value: Number(value.text), at: value.start };
        } else if (token.text === 'WHEN') {
          once(when, token);
          when = this.orExpr();
        } else if (token.text === 'MODEL') {
          models.push(this.modelRef());
          while (this.isPunct(',')) {
            this.next();
            models.push(this.modelRef());
          }
        } else if (token.text === 'ALGORITHM') {
          once(algorithm, token);
          const type = this.name('an algorithm type');
          const algorithmOptions = this.isPunct('(') ? this.options() : [];
          const algorithmFields = this.isPunct('{') ? this.object('') : undefined;
          algorithm = { type: type.text, at: type.start, options: algorithmOptions, ...(algorithmFields && { fields: algorithmFields }) };
        } else {
          const plugin = this.name('a plug-in type or template name');
          const configuration = this.isPunct('{') ? this.object('') : undefined;
          plugins.push({ name: plugin.text, at: plugin.start, ...(configuration && { configuration }) });
        }
        continue;
      }
      if (token.kind === 'eof') throw new SyntaxError(token.start, `expected "}" to close route "${name.text}", found end of file`);
      fields.push(this.field());
    }
    this.next();
    return { kind: 'route', comments, name: name.text, nameAt: name.start, options, ...(priority && { priority }), ...(when && { when }), models, ...(algorithm && { algorithm }), plugins, fields };
  }

  /** `( key = value, … )` after a route name or a model. */
  private options(): FieldNode[] {
    this.expectPunct('(', '');
    const options: FieldNode[] = [];
    while (!this.isPunct(')')) {
      if (options.length > 0) this.expectPunct(',', 'between options');
      const key = this.name('an option name');
      this.expectPunct('=', `after option "${key.text}"`);
      options.push({ key: key.text, keyAt: key.start, value: this.value() });
    }
    this.next();
    return options;
  }

  private modelRef(): ModelRefNode {
    const model = this.name('a model name');
    return { model: model.text, at: model.start, options: this.isPunct('(') ? this.options() : [] };
  }

  private orExpr(): ExprNode {
    const first = this.andExpr();
    if (!this.isKeyword('OR')) return first;
    const operands = [first];
    while (this.isKeyword('OR')) {
      this.next();
      operands.push(this.andExpr());
    }
    return { kind: 'or', operands, at: first.at };
  }

  private andExpr(): ExprNode {
    const first = this.factor();
    if (!this.isKeyword('AND')) return first;
    const operands = [first];
    while (this.isKeyword('AND')) {
      this.next();
      operands.push(this.factor());
    }
    return { kind: 'and', operands, at: first.at };
  }

  private factor(): ExprNode {
    const token = this.peek();
    if (token.kind === 'keyword' && token.text === 'NOT') {
      this.next();
      return { kind: 'not', operand: this.factor(), at: token.start };
    }
    if (token.kind === 'keyword' && (token.text === 'TRUE' || token.text === 'FALSE')) {
      this.next();
      return { kind: 'constant', value: token.text === 'TRUE', at: token.start };
    }
    if (this.isPunct('(')) {
      this.next();
      const inner = this.orExpr();
      this.expectPunct(')', 'to close the parenthesis');
      // A parenthesised group is its own node, so `a AND (b AND c)` keeps its nesting
      // (an AND's confidence is the mean of its children, so nesting changes the number).
      return inner;
    }
    if (token.kind !== 'ident') throw new SyntaxError(token.start, `expected a signal such as keyword("name"), NOT, TRUE, FALSE or "(", found ${describe(token)}`);
    this.next();
    this.expectPunct('(', `after signal type "${token.text}"`);
    const name = this.peek();
    if (name.kind !== 'string') throw new SyntaxError(name.start, `expected the signal name as a string, e.g. ${token.text}("name"), found ${describe(name)}`);
    this.next();
    this.expectPunct(')', 'after the signal name');
    return { kind: 'signal', type: token.text, name: name.text, at: token.start, nameAt: name.start };
  }

  /** `{ key: value … }` with optional commas or semicolons between fields. */
  private object(context: string): ObjectNode {
    const open = this.expectPunct('{', context);
    const fields: FieldNode[] = [];
    while (!this.isPunct('}')) {
      if (this.isPunct(',') || this.isPunct(';')) {
        this.next();
        continue;
      }
      if (this.peek().kind === 'eof') throw new SyntaxError(this.peek().start, 'expected "}" to close the block opened at ' + `${open.start.line}:${open.start.col}, found end of file`);
      fields.push(this.field());
    }
    this.next();
    return { kind: 'object', fields, at: open.start };
  }

  private field(): FieldNode {
    const key = this.peek();
    if (key.kind !== 'ident' && key.kind !== 'string') throw new SyntaxError(key.start, `expected a field name, found ${describe(key)}`);
    this.next();
    this.expectPunct(':', `after field "${key.text}"`);
    return { key: key.text, keyAt: key.start, value: this.value() };
  }

  private value(): ValueNode {
    const token = this.peek();
    if (token.kind === 'string') {
      this.next();
      return { kind: 'scalar', value: token.text, at: token.start };
    }
    if (token.kind === 'number') {
      this.next();
      return { kind: 'scalar', value: Number(token.text), at: token.start };
    }
    if (token.kind === 'ident') {
      this.next();
      const scalar = token.text === 'true' ? true : token.text === 'false' ? false : token.text === 'null' ? null : token.text;
      return { kind: 'scalar', value: scalar, at: token.start };
    }
    if (this.isPunct('{')) return this.object('');
    if (this.isPunct('[')) {
      this.next();
      const items: ValueNode[] = [];
      while (!this.isPunct(']')) {
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        if (this.peek().kind === 'eof') throw new SyntaxError(this.peek().start, 'expected "]" to close the list, found end of file');
        items.push(this.value());
      }
      this.next();
      return { kind: 'list', items, at: token.start };
    }
    throw new SyntaxError(token.start, `expected a value (string, number, true/false, [list] or {object}), found ${describe(token)}`);
  }
}

/** Parses DSL text into a program and every syntax problem found. */
export function parseDsl(text: string): { program: DslProgram; problems: SyntaxProblem[] } {
  const lexed = lexDsl(text);
  const parser = new Parser(lexed.tokens);
  const program = parser.parseProgram();
  return { program, problems: [...lexed.problems.map((problem) => ({ at: problem.at, message: problem.message })), ...parser.problems] };
}
