import type { RuleNode } from '../decisions/decision.js';
import type { ConfigPathSegment, ConfigProblem } from './config-problem.js';
import type { RuleDocument } from './config-document.js';

/** A leaf of a rule tree with where it sits in the file. */
export interface LocatedLeaf {
  readonly type: string;
  readonly name: string;
  readonly path: readonly ConfigPathSegment[];
}

/** A normalised rule tree, its leaves (for reference checks) and its structural problems. */
export interface RuleTree {
  readonly rule: RuleNode;
  readonly leaves: readonly LocatedLeaf[];
  readonly problems: readonly ConfigProblem[];
}

const OPERATOR_KINDS: Readonly<Record<string, 'and' | 'or' | 'not'>> = { AND: 'and', OR: 'or', NOT: 'not' };

/**
 * Turns a decision's `rules` (or a signal rule's `composer`) into a `RuleNode`; `owner` names
 * it in messages (`decision "x"`). As in Athena, `{}` and a node without
 * `conditions` mean `AND []`, and a node without `operator` means AND. An unknown operator,
 * a NOT without exactly one condition, a leaf missing `type` or `name`, and a mix of node
 * and leaf keys are problems; the tree returned then holds placeholders and must not be used.
 */
export function normaliseRuleTree(document: RuleDocument, path: readonly ConfigPathSegment[], owner: string): RuleTree {
  const leaves: LocatedLeaf[] = [];
  const problems: ConfigProblem[] = [];

  const visit = (node: RuleDocument, at: readonly ConfigPathSegment[]): RuleNode => {
    const isLeaf = node.type !== undefined || node.name !== undefined;
    const isBranch = node.operator !== undefined || node.conditions !== undefined;
    if (isLeaf && isBranch) {
      problems.push({ path: at, code: 'SY_CFG_SCHEMA', message: `a rule in ${owner} mixes a node (operator, conditions) with a leaf (type, name); use one or the other` });
    }
    if (isLeaf && !isBranch) {
      if (node.type === undefined || node.name === undefined) {
        const missing = node.type === undefined ? 'type' : 'name';
        problems.push({ path: at, code: 'SY_CFG_SCHEMA', message: `a rule leaf in ${owner} is missing "${missing}" (a leaf is {type, name})` });
        return { kind: 'leaf', type: node.type ?? '', name: node.name ?? '' };
      }
      leaves.push({ type: node.type, name: node.name, path: at });
      return { kind: 'leaf', type: node.type, name: node.name };
    }

    const operator = node.operator ?? 'AND';
    const kind = OPERATOR_KINDS[operator];
    const children = (node.conditions ?? []).map((child, index) => visit(child, [...at, 'conditions', index]));
    if (kind === undefined) {
      problems.push({ path: [...at, 'operator'], code: 'SY_CFG_UNKNOWN_OPERATOR', message: `unknown rule operator "${operator}" in ${owner} (use AND, OR or NOT)` });
      return { kind: 'and', children };
    }
    if (kind === 'not') {
      const [child] = children;
      if (child === undefined || children.length !== 1) {
        problems.push({ path: [...at, node.conditions === undefined ? 'operator' : 'conditions'], at: 'key', code: 'SY_CFG_NOT_ARITY', message: `NOT in ${owner} needs exactly one condition, has ${children.length}` });
        return { kind: 'and', children };
      }
      return { kind: 'not', child };
    }
    return { kind, children };
  };

  const rule = visit(document, path);
  return { rule, leaves, problems };
}
