import type { ChatRequest } from '../router/chat-request.js';
import type { ImmediateReply, RoutingTrace, SemanticCachePolicy } from '../router/route-result.js';

/** What a plug-in sees of a routed request. */
export interface PluginRequest {
  /** The winning decision's name. */
  readonly decision: string;
  readonly request: ChatRequest;
  readonly trace: RoutingTrace;
}

/** What one plug-in does to a request; every field is optional. */
export interface PluginEffect {
  /** Answers the client now; the upstream is never contacted and later plug-ins do not run. */
  readonly reply?: ImmediateReply;
  /** Rewrites the request JSON before it is serialised (message edits). */
  readonly editJson?: (json: Readonly<Record<string, unknown>>) => Record<string, unknown>;
  /** Rewrites the serialised upstream body (byte-preserving edits such as redaction). */
  readonly editBody?: (body: Buffer) => Buffer | Promise<Buffer>;
  /** Upstream request headers to set and to remove. */
  readonly setHeaders?: readonly (readonly [string, string])[];
  readonly removeHeaders?: readonly string[];
  /** `x-vsr-*` headers for the client's response. */
  readonly responseHeaders?: readonly (readonly [string, string])[];
  /**
   * The decision's own cache settings over the global `semantic_cache` section: `enabled: false`
   * turns the cache off for the decision; unset values come from the global section.
   */
  readonly cache?: SemanticCacheOverride;
}

/** What a decision's `semantic-cache` plug-in changes about the global cache. */
export interface SemanticCacheOverride extends Partial<SemanticCachePolicy> {
  readonly enabled: boolean;
}

/** A plug-in entry compiled from its configuration, applied each time its decision wins. */
export interface CompiledDecisionPlugin {
  /** Long work (scanning a large body) is asynchronous and yields to the event loop. */
  apply(request: PluginRequest): PluginEffect | Promise<PluginEffect>;
}

/**
 * A decision plug-in type: one file plus one line in `plugins/registry.ts`. Its configuration is
 * checked against `configurationSchema` when the config loads (with defaults filled in), then
 * `compile` runs; a message it throws becomes a diagnostic at the plug-in entry.
 */
export interface DecisionPluginType<Configuration = Record<string, unknown>> {
  readonly type: string;
  readonly configurationSchema: Readonly<Record<string, unknown>>;
  compile(configuration: Configuration): CompiledDecisionPlugin;
}
