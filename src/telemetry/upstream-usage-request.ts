import { MAX_JSON_DEPTH } from '../router/chat-request.js';
import { OFF_LOOP_JSON_BYTES, parseJsonOffLoop, stringifyJsonOffLoop } from '../router/json-worker.js';

const INCLUDE_USAGE = Buffer.from('"stream_options":{"include_usage":true},');

/** Whether a streaming request's client asked for the final usage chunk itself. */
export function clientAskedForUsage(json: Readonly<Record<string, unknown>>): boolean {
  const options = json['stream_options'];
  return options !== null && typeof options === 'object' && (options as { include_usage?: unknown }).include_usage === true;
}

/**
 * The upstream body of a streaming request with `stream_options.include_usage: true`, so the
 * upstream reports the tokens it charges for. Without `stream_options` in the body the member is
 * spliced in after the opening brace (no re-serialisation of a large body); with one, the body is
 * parsed and written again, off the event loop when large.
 */
export async function withIncludeUsage(body: Buffer, json: Readonly<Record<string, unknown>>): Promise<Buffer> {
  if (json['stream_options'] === undefined) {
    const brace = body.indexOf(0x7b);
    return Buffer.concat([body.subarray(0, brace + 1), INCLUDE_USAGE, body.subarray(brace + 1)]);
  }
  const large = body.length > OFF_LOOP_JSON_BYTES;
  const parsed = (large ? await parseJsonOffLoop(body, MAX_JSON_DEPTH) : JSON.parse(body.toString('utf8'))) as Record<string, unknown>;
  const options = parsed['stream_options'];
  const edited = { ...parsed, stream_options: { ...(options !== null && typeof options === 'object' ? options : {}), include_usage: true } };
  return large ? stringifyJsonOffLoop(edited) : Buffer.from(JSON.stringify(edited));
}
