import * as grpc from '@grpc/grpc-js';
import { loadExtProcDefinitions } from '../../src/extproc/envoy-protos.js';
import { envoyHeaderMap, ExtProcTestClient, requestHeadersMessage } from '../helpers/extproc-client.js';
import { chatBody, post, rawExchange } from './campaign-http.js';
import { seededRandom } from '../../src/seeded-random.js';

/** Where the bad inputs go. */
export interface BadInputTarget {
  readonly gatewayPort: number;
  readonly grpcPort: number;
  /** How long one input may take before it counts as a stall. */
  readonly stallMs: number;
}

/** What one bad input got. */
export interface BadInputResult {
  /** An HTTP status, or for ext_proc the gRPC status code / "reply". */
  readonly answer: string;
  readonly stalled: boolean;
  /** The server answered a client's mistake with a 5xx (it should be a 4xx). */
  readonly serverErrorForClientError: boolean;
}

/** One input the campaign throws at the running process. */
export interface BadInput {
  readonly group: 'malformed HTTP' | 'bad API request' | 'huge body' | 'deep JSON' | 'many headers' | 'no-space run' | 'long string' | 'malformed ext_proc';
  readonly name: string;
  run(target: BadInputTarget): Promise<BadInputResult>;
}

const CHAT_PATH = '/v1/chat/completions';

function httpResult(status: number | undefined, stalled: boolean, error: string | undefined): BadInputResult {
  return { answer: status === undefined ? (stalled ? 'stalled' : (error ?? 'closed')) : String(status), stalled, serverErrorForClientError: status !== undefined && status >= 500 };
}

function raw(name: string, text: string | Buffer, group: BadInput['group'] = 'malformed HTTP'): BadInput {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return {
    group,
    name,
    run: async (target) => {
      const outcome = await rawExchange(target.gatewayPort, bytes, target.stallMs);
      return httpResult(outcome.status, outcome.stalled, outcome.error);
    },
  };
}

function api(group: BadInput['group'], name: string, body: () => string | Buffer, headers: Record<string, string> = {}): BadInput {
  return {
    group,
    name,
    run: async (target) => {
      const outcome = await post(`http://127.0.0.1:${target.gatewayPort}${CHAT_PATH}`, body(), { timeoutMs: target.stallMs, headers });
      return httpResult(outcome.status, outcome.stalled, outcome.error);
    },
  };
}

const rawPost = (head: string, body: string): string => `POST ${CHAT_PATH} HTTP/1.1\r\nHost: localhost\r\n${head}\r\n${body}`;
const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Malformed HTTP/1.1 that only a raw socket sends. */
const MALFORMED_HTTP: BadInput[] = [
  raw('garbage request line', 'GARBAGE\r\n\r\n'),
  raw('unknown HTTP version', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n'),
  raw('no HTTP version', 'GET /\r\n\r\n'),
  raw('header without a colon', rawPost('Content-Length: 2\r\nNoColonHere\r\n', '{}')),
  raw('space in a header name', rawPost('Content-Length: 2\r\nBad Header: x\r\n', '{}')),
  raw('non-numeric Content-Length', rawPost('Content-Length: abc\r\n', '{}')),
  raw('two different Content-Lengths', rawPost('Content-Length: 2\r\nContent-Length: 3\r\n', '{}')),
  raw('Content-Length with Transfer-Encoding', rawPost('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n')),
  raw('bad chunk size', rawPost('Transfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n0\r\n\r\n')),
  raw('chunked body never terminated', rawPost('Transfer-Encoding: chunked\r\n', '2\r\n{}\r\n')),
  raw('body shorter than Content-Length', rawPost('Content-Type: application/json\r\nContent-Length: 500\r\n', '{"model":"auto"')),
  raw('NUL in a header value', rawPost('Content-Length: 2\r\nX-Nul: a\u0000b\r\n', '{}')),
  raw('64 KB header value', rawPost(`Content-Length: 2\r\nX-Big: ${'a'.repeat(65_536)}\r\n`, '{}')),
  raw('64 KB URL', `GET /${'a'.repeat(65_536)} HTTP/1.1\r\nHost: x\r\n\r\n`),
  raw('absolute-form URI', `POST http://evil.example${CHAT_PATH} HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`),
  raw('path traversal and %00', 'GET /../../etc/passwd%00 HTTP/1.1\r\nHost: x\r\n\r\n'),
  raw('HTTP/1.0 without Host', `POST ${CHAT_PATH} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`),
  raw('Expect: 100-continue, no body', rawPost('Content-Type: application/json\r\nContent-Length: 10\r\nExpect: 100-continue\r\n', '')),
  raw('unknown method', `FOO ${CHAT_PATH} HTTP/1.1\r\nHost: x\r\n\r\n`),
  raw('CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'),
  raw('h2c upgrade', rawPost('Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nContent-Length: 2\r\n', '{}')),
  raw('HTTP/2 preface on HTTP/1.1', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  raw('binary noise', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))),
  raw('invalid UTF-8 in the JSON body', Buffer.concat([Buffer.from(rawPost('Content-Type: application/json\r\nContent-Length: 46\r\n', ''), 'latin1'), Buffer.from('{"model":"auto","messages":[{"role":"user","content":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')])),
];

/** Well-formed HTTP carrying a request the API must refuse with a 4xx. */
const BAD_API_REQUESTS: BadInput[] = [
  api('bad API request', 'not JSON', () => 'hello'),
  api('bad API request', 'truncated JSON', () => '{"model":"auto","messages":[{"role":"user","content":"hi"'),
  api('bad API request', 'a JSON array', () => '[1,2,3]'),
  api('bad API request', 'a JSON string', () => '"auto"'),
  api('bad API request', 'an empty body', () => ''),
  api('bad API request', 'messages not a list', () => '{"model":"auto","messages":"hi"}'),
  api('bad API request', 'content a number', () => '{"model":"auto","messages":[{"role":"user","content":42}]}'),
  api('bad API request', 'model a number', () => '{"model":7,"messages":[{"role":"user","content":"hi"}]}'),
  api('bad API request', 'no messages', () => '{"model":"auto"}'),
  api('bad API request', 'unknown model', () => chatBody('hi', 'no-such-model')),
  api('bad API request', 'stream not a boolean', () => chatBody('hi', 'auto', { stream: 'yes' })),
  api('bad API request', 'text/plain content type', () => chatBody('hi'), { 'content-type': 'text/plain' }),
  api('bad API request', 'duplicate keys', () => '{"model":"auto","model":"auto","messages":[{"role":"user","content":"hi"}]}'),
  api('bad API request', 'lone surrogate escape', () => '{"model":"auto","messages":[{"role":"user","content":"\\ud800"}]}'),
];

/** Bodies at and past the size limit (the 10 MB prompt has a phase of its own). */
const HUGE_BODIES: BadInput[] = [
  api('huge body', '17 MB body (over the 16 MiB limit)', () => chatBody('x'.repeat(17 * 1024 * 1024))),
  api('huge body', '15 MB of "{"', () => '{'.repeat(15 * 1024 * 1024)),
  api('long string', 'a 10 MB JSON string as the body', () => JSON.stringify('a'.repeat(10 * 1024 * 1024))),
  api('long string', 'a 10 MB prompt of "a" (no spaces)', () => chatBody('a'.repeat(10 * 1024 * 1024))),
];

const DEEP_JSON: BadInput[] = [
  api('deep JSON', '5,000-deep arrays in an extra field', () => `{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${deep(5000)}}`),
  api('deep JSON', '5,000-deep objects in an extra field', () => `{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${deepObject(5000)}}`),
  api('deep JSON', '100,000-deep arrays', () => `{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${deep(100_000)}}`),
  api('deep JSON', '5 million-deep arrays (10 MB)', () => `{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${deep(5 * 1024 * 1024)}}`),
  api('deep JSON', '12 MB of "[" never closed', () => '['.repeat(12 * 1024 * 1024)),
  api('deep JSON', '5,000-deep content parts', () => `{"model":"auto","messages":[{"role":"user","content":${deep(5000)}}]}`),
];

const headerSet = (count: number): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-campaign-${i}`, 'v']));

const MANY_HEADERS: BadInput[] = [
  api('many headers', '100 headers', () => chatBody('hi'), headerSet(100)),
  api('many headers', '1,000 headers', () => chatBody('hi'), headerSet(1000)),
  raw('5,000 headers', rawPost(`Content-Type: application/json\r\nContent-Length: 2\r\n${Object.keys(headerSet(5000)).map((name) => `${name}: v\r\n`).join('')}`, '{}'), 'many headers'),
];

/** Long runs without whitespace: the inputs that made the PII patterns backtrack. */
const NO_SPACE_RUNS: BadInput[] = [
  ...(
    [
      ['100 KB of "a"', 'a'.repeat(100_000)],
      ['100 KB of "@"', '@'.repeat(100_000)],
      ['100 KB of "."', '.'.repeat(100_000)],
      ['100 KB of digits', '7'.repeat(100_000)],
      ['100 KB of "a@"', 'a@'.repeat(50_000)],
      ['100 KB of "a." (dotted host)', 'a.'.repeat(50_000)],
      ['1 MB of letters and digits', 'ab1'.repeat(350_000)],
    ] as const
  ).map(([name, text]) => api('no-space run', name, () => chatBody(text))),
];

/**
 * A stream on a fresh client: writes `messages`, half-closes as Envoy does when it has nothing
 * more to send, then waits for a reply or the call's end. An empty or unknown message may be
 * ignored (a newer Envoy sends fields this version does not know), but a half-closed call
 * must end.
 */
function extProcCase(name: string, messages: () => Record<string, unknown>[]): BadInput {
  return {
    group: 'malformed ext_proc',
    name,
    run: async (target) => {
      const client = new ExtProcTestClient(target.grpcPort);
      const stream = client.open();
      try {
        for (const message of messages()) stream.write(message);
        const answer = await Promise.race([
          stream.nextReply().then(
            (reply) => (reply['immediate_response'] ? `immediate ${reply['immediate_response'].status?.code}` : 'reply'),
            (error: grpc.ServiceError) => `grpc ${error.code ?? 'ended'}`,
          ),
          stream.closeGracefully().then(
            () => 'closed OK',
            (error: Error) => `closed: ${error.message.slice(0, 40)}`,
          ),
          new Promise<string>((resolve) => setTimeout(() => resolve('stalled'), target.stallMs)),
        ]);
        const serverError = /^immediate (InternalServerError|5)/.test(answer) || answer.startsWith(`grpc ${grpc.status.INTERNAL}`) || answer.startsWith(`grpc ${grpc.status.UNKNOWN}`);
        return { answer, stalled: answer === 'stalled', serverErrorForClientError: serverError };
      } finally {
        stream.cancel();
        client.close();
      }
    },
  };
}

const headers = (path = CHAT_PATH, extra: [string, string][] = []): Record<string, unknown> => requestHeadersMessage({ path, body: '{}', headers: extra });
const bodyMessage = (body: string | Buffer, endOfStream = true): Record<string, unknown> => ({ request_body: { body: Buffer.from(body), end_of_stream: endOfStream } });

/** Streams that break the ext_proc protocol or carry nonsense. */
const MALFORMED_EXT_PROC: BadInput[] = [
  extProcCase('response_body first', () => [{ response_body: { body: Buffer.from('x'), end_of_stream: true } }]),
  extProcCase('request_body before request_headers', () => [bodyMessage(chatBody('hi'))]),
  extProcCase('request_headers twice', () => [headers(), headers()]),
  extProcCase('an empty message', () => [{}]),
  extProcCase('request_trailers only', () => [{ request_trailers: { trailers: envoyHeaderMap([['x', 'y']]) } }]),
  extProcCase('no :path', () => [{ request_headers: { headers: envoyHeaderMap([[':method', 'POST']]), end_of_stream: false } }]),
  extProcCase('invalid UTF-8 header value', () => [{ request_headers: { headers: { headers: [{ key: ':path', raw_value: Buffer.from([0xff, 0xfe]) }] }, end_of_stream: false } }]),
  extProcCase('body not JSON', () => [headers(), bodyMessage('not json')]),
  extProcCase('body 5,000-deep JSON', () => [headers(), bodyMessage(`{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${deep(5000)}}`)]),
  extProcCase('BUFFERED body in 500 chunks', () => [headers(), ...Array.from({ length: 500 }, (_, i) => bodyMessage('{', i === 499))]),
  extProcCase('5,000 headers', () => [headers(CHAT_PATH, Array.from({ length: 5000 }, (_, i): [string, string] => [`x-h-${i}`, 'v']))]),
  extProcCase('response_headers before the request finished', () => [headers(), { response_headers: { headers: envoyHeaderMap([[':status', '200']]), end_of_stream: false } }]),
];


/**
 * `count` streams of raw protobuf frames: valid ext_proc messages with random bytes flipped,
 * truncated or extended, sent through a byte-level client. Each counts as one input.
 */
export function fuzzedExtProcStreams(count: number, seed = 12): BadInput[] {
  const { service } = loadExtProcDefinitions();
  const method = service['Process']!;
  const valid = [headers(), bodyMessage(chatBody('Prove that sqrt(2) is irrational.')), { response_headers: { headers: envoyHeaderMap([[':status', '200']]), end_of_stream: false } }].map(
    (message) => method.requestSerialize(message) as Buffer,
  );
  const random = seededRandom(seed);
  const inputs: BadInput[] = [];
  for (let i = 0; i < count; i++) {
    const frames = valid.map((frame) => {
      const bytes = Buffer.from(frame);
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? Math.floor(random() * bytes.length) : bytes.length;
      return bytes.subarray(0, cut);
    });
    inputs.push({
      group: 'malformed ext_proc',
      name: `fuzzed stream ${i}`,
      run: (target) => rawExtProcStream(target, method.path, frames),
    });
  }
  return inputs;
}

async function rawExtProcStream(target: BadInputTarget, path: string, frames: readonly Buffer[]): Promise<BadInputResult> {
  const client = new grpc.Client(`127.0.0.1:${target.grpcPort}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(path, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes);
  try {
    const answer = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('stalled'), target.stallMs);
      call.on('data', () => {
        clearTimeout(timer);
        resolve('reply');
      });
      call.on('error', (error: grpc.ServiceError) => {
        clearTimeout(timer);
        resolve(`grpc ${error.code}`);
      });
      call.on('end', () => {
        clearTimeout(timer);
        resolve('ended');
      });
      for (const frame of frames) call.write(frame);
      call.end();
    });
    return { answer, stalled: answer === 'stalled', serverErrorForClientError: false };
  } finally {
    call.cancel();
    client.close();
  }
}

/** Every hand-written bad input, by group. */
export const BAD_INPUTS: readonly BadInput[] = [
  ...MALFORMED_HTTP,
  ...BAD_API_REQUESTS,
  ...HUGE_BODIES,
  ...DEEP_JSON,
  ...MANY_HEADERS,
  ...NO_SPACE_RUNS,
  ...MALFORMED_EXT_PROC,
];
