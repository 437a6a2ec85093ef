import type { SignalId, SignalSet } from '../signals/signal.js';
import type { RuleNode } from './decision.js';

/**
 * A rule tree compiled to one closure: returns the rule's confidence when it matches,
 * `undefined` when it does not. Compiling once per config keeps `decide` free of
 * tree walking over `kind` strings on every request.
 */
export type CompiledRule = (signals: SignalSet) => number | undefined;

/** The SignalId a leaf names. */
function leafSignalId(type: string, name: string): SignalId {
  return `${type}:${name}`;
}

/**
 * Compiles a rule tree. Throws on a malformed node (unknown kind, a NOT without its one
 * child) so a bad tree fails at config load, not on a request.
 */
export function compileRule(node: RuleNode, pointer = 'rule'): CompiledRule {
  switch (node.kind) {
    case 'leaf': {
      const id = leafSignalId(node.type, node.name);
      return (signals) => {
        const result = signals.get(id);
        return result?.matched === true ? result.confidence : undefined;
      };
    }
    case 'and': {
      const children = node.children.map((child, index) => compileRule(child, `${pointer}/conditions/${index}`));
      // An AND with no conditions is the catch-all: it always matches (the seed's
      // default-route depends on it), unlike Athena where an empty AND never matches.
      if (children.length === 0) return () => 1;
      return (signals) => {
        let sum = 0;
        for (const child of children) {
          const confidence = child(signals);
          if (confidence === undefined) return undefined;
          sum += confidence;
        }
        return sum / children.length;
      };
    }
    case 'or': {
      const children = node.children.map((child, index) => compileRule(child, `${pointer}/conditions/${index}`));
      return (signals) => {
        let best: number | undefined;
        for (const child of children) {
          const confidence = child(signals);
          if (confidence !== undefined && (best === undefined || confidence > best)) best = confidence;
        }
        return best;
      };
    }
    case 'not': {
      if ((node as { child?: RuleNode }).child === undefined) {
        throw new Error(`${pointer}: NOT takes exactly one condition`);
      }
      const child = compileRule(node.child, `${pointer}/conditions/0`);
      return (signals) => (child(signals) === undefined ? 1 : undefined);
    }
    default:
      throw new Error(`${pointer}: unknown rule kind ${JSON.stringify((node as { kind?: unknown }).kind)}`);
  }
}

/** Adds every SignalId the tree's leaves name to `into`. */
export function collectSignalIds(node: RuleNode, into: Set<SignalId>): void {
  switch (node.kind) {
    case 'leaf':
      into.add(leafSignalId(node.type, node.name));
      return;
    case 'and':
    case 'or':
      for (const child of node.children) collectSignalIds(child, into);
      return;
    case 'not':
      collectSignalIds(node.child, into);
  }
}
