import type { BodySendMode } from '../extproc/ext-proc-messages.js';
import type { ApiRouting } from './api-routing.js';
import { answerTranslator, type AnswerTranslator } from './response-translator.js';

/** What the sidecar asks of the proxy for a translated or recorded answer, at its response headers. */
export interface AnswerHandling {
  /** STREAMED for an event stream (translated event by event, nothing held), BUFFERED for a whole JSON answer. */
  readonly bodyMode: BodySendMode;
  /** Headers a rewritten body invalidates. */
  readonly removeHeaders: readonly string[];
}

/**
 * The response side of one routed request of any API: rewrites the answer into the client's
 * format chunk by chunk when the backend speaks another one, and hands a Responses answer to its
 * recorder. An answer with neither passes untouched (and the proxy keeps the body to itself).
 */
export class ApiAnswer {
  private translator: AnswerTranslator | undefined;
  private storing: Promise<void> = Promise.resolve();

  constructor(
    private readonly routing: Pick<ApiRouting, 'answer' | 'recorder'>,
    private readonly limit: number,
  ) {}

  /** Called with the answer's status and content type; undefined when its body needs no look. */
  headers(status: number, contentType: string): AnswerHandling | undefined {
    const { answer, recorder } = this.routing;
    if (answer === undefined && recorder === undefined) return undefined;
    recorder?.start(status, contentType);
    const eventStream = contentType.toLowerCase().startsWith('text/event-stream');
    if (answer === undefined) return { bodyMode: 'STREAMED', removeHeaders: [] };
    this.translator = answerTranslator(answer, status, contentType, this.limit);
    return { bodyMode: eventStream ? 'STREAMED' : 'BUFFERED', removeHeaders: ['content-length'] };
  }

  /** One body chunk; returns what replaces it, or undefined to leave it as it is. */
  body(chunk: Buffer, endOfStream: boolean): Buffer | undefined {
    const translator = this.translator;
    let out: Buffer | undefined;
    if (translator !== undefined) {
      const head = translator.push(chunk);
      out = endOfStream ? Buffer.concat([head, translator.end()]) : head;
    }
    const recorder = this.routing.recorder;
    if (recorder !== undefined) {
      recorder.observe(out ?? chunk);
      if (endOfStream) this.storing = recorder.finish();
    }
    return out;
  }

  /**
   * Resolves when a recorded answer is in the store: the last chunk waits for it, so a client
   * that continues the conversation right away finds the turn on any replica.
   */
  stored(): Promise<void> {
    return this.storing;
  }
}
