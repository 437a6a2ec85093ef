import type { ProcessingRequest } from '../extproc/ext-proc-messages.js';
import type { ExtProcSession, PhaseOutcome } from './ext-proc-session.js';
import type { WireCommonResponse } from './ext-proc-wire.js';

/** The chunk a STREAMED body reply leaves: its body_mutation replaces that chunk only. */
function mutatedChunk(chunk: Buffer, response: WireCommonResponse | null): Buffer {
  const mutation = response?.body_mutation;
  if (mutation === null || mutation === undefined) return chunk;
  if (mutation.mutation === 'body') return mutation.body ?? Buffer.alloc(0);
  if (mutation.mutation === 'clear_body') return Buffer.alloc(0);
  return chunk;
}

function bodyMessage(kind: 'request_body' | 'response_body', body: Buffer, endOfStream: boolean): ProcessingRequest {
  const message = { body, end_of_stream: endOfStream };
  return kind === 'request_body' ? { request_body: message } : { response_body: message };
}

/**
 * Runs a body through the processor in STREAMED mode: every chunk is sent as it arrives
 * (pipelined, not waiting), each is written out once its own reply came back, in order, and
 * an empty end_of_stream message closes the body. Header mutations in these replies are
 * ignored (the headers have left). Resolves false when processing ended the exchange.
 */
export async function streamBodyThroughProcessor(
  session: ExtProcSession,
  kind: 'request_body' | 'response_body',
  source: AsyncIterable<Buffer>,
  write: (chunk: Buffer) => void,
  stopped: () => boolean,
): Promise<boolean> {
  let inOrder = Promise.resolve(true);
  const forward = (chunk: Buffer, outcome: Promise<PhaseOutcome>): void => {
    inOrder = inOrder.then(async (ok) => {
      if (!ok) return false;
      const result = await outcome;
      if (result.kind === 'failed' || result.kind === 'immediate' || stopped()) return false;
      const out = result.kind === 'reply' ? mutatedChunk(chunk, result.response) : chunk;
      if (out.length > 0) write(out);
      return true;
    });
  };
  for await (const chunk of source) {
    if (stopped()) break;
    forward(chunk, session.send(kind, bodyMessage(kind, chunk, false)));
  }
  if (!stopped()) {
    const empty = Buffer.alloc(0);
    forward(empty, session.send(kind, bodyMessage(kind, empty, true)));
  }
  return inOrder;
}
