import type { RequestView, SignalExtractor, SignalPlugin, SignalResult } from './signal.js';

/** A subject of a role binding. */
export interface AuthzSubject {
  readonly kind: 'User' | 'Group';
  readonly name: string;
}

/** One `signals.role_bindings[]` entry (Athena §1.3): binds subjects to a role; the signal name is the role. */
export interface RoleBindingRule {
  readonly name: string;
  readonly role: string;
  readonly subjects: readonly AuthzSubject[];
  readonly description?: string;
  /** Header carrying the user id; default x-authz-user-id. */
  readonly user_id_header?: string;
  /** Header carrying comma-separated groups; default x-authz-user-groups. */
  readonly user_groups_header?: string;
}

const HEADER_NAME = { type: 'string', pattern: '^[a-z0-9-]+$' } as const;

const ROLE_BINDING_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'role', 'subjects'],
  properties: {
    name: { type: 'string', minLength: 1 },
    role: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    subjects: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'name'],
        properties: { kind: { enum: ['User', 'Group'] }, name: { type: 'string', minLength: 1 } },
      },
    },
    user_id_header: HEADER_NAME,
    user_groups_header: HEADER_NAME,
  },
} as const;

/** Error text of an authz result when the request carries no identity; the router answers 403 on it. */
export const MISSING_IDENTITY = 'request carries no user identity';

function identity(request: RequestView, rule: RoleBindingRule): { user: string; groups: Set<string> } {
  const user = (request.headers.get(rule.user_id_header ?? 'x-authz-user-id') ?? '').trim();
  const groupsHeader = request.headers.get(rule.user_groups_header ?? 'x-authz-user-groups') ?? '';
  const groups = new Set(groupsHeader.split(',').map((g) => g.trim()).filter((g) => g !== ''));
  return { user, groups };
}

function binds(rule: RoleBindingRule, user: string, groups: ReadonlySet<string>): boolean {
  return rule.subjects.some((s) => (s.kind === 'User' ? s.name === user : groups.has(s.name)));
}

/**
 * Authorization signal: emits the role of every binding whose subjects include the request's user
 * (identity header) or one of its groups. A request with neither header set gets every role
 * reported with the MISSING_IDENTITY error, which the router turns into a 403.
 */
export const authzSignalPlugin: SignalPlugin<RoleBindingRule> = {
  type: 'authz',
  configKey: 'role_bindings',
  ruleSchema: ROLE_BINDING_SCHEMA,
  emittedNames: (rule) => [rule.role],
  create(rules): SignalExtractor {
    const roles = [...new Set(rules.map((rule) => rule.role))];
    return {
      type: 'authz',
      extract(request: RequestView): readonly SignalResult[] {
        const identities = rules.map((rule) => identity(request, rule));
        if (identities.every((id) => id.user === '' && id.groups.size === 0)) {
          return roles.map((role) => ({ type: 'authz', name: role, matched: false, confidence: 0, error: MISSING_IDENTITY }));
        }
        return roles.map((role) => {
          const matched = rules.some((rule, i) => rule.role === role && binds(rule, identities[i]!.user, identities[i]!.groups));
          return { type: 'authz', name: role, matched, confidence: matched ? 1 : 0 };
        });
      },
    };
  },
};
