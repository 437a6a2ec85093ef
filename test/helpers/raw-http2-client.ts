import { once } from 'node:events';
import net from 'node:net';

/**
 * An HTTP/2 client that writes frames itself, for what no library client sends: RST_STREAM for
 * a stream already closed on both sides, or HEADERS followed at once by RST_STREAM (the
 * rapid-reset attack). It speaks just enough HTTP/2: the preface, SETTINGS and PING acks, and
 * header blocks as HPACK literals without indexing.
 */

const FRAME = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, PING: 0x6, GOAWAY: 0x7, WINDOW_UPDATE: 0x8 } as const;
const MAX_WINDOW = 0x7fffffff;
const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** One header field as an HPACK literal without indexing, new name (names and values under 127 bytes). */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name, 'latin1'), Buffer.from([value.length]), Buffer.from(value, 'latin1')]);
}

/** A GOAWAY the server sent. */
export interface Goaway {
  readonly lastStreamId: number;
  readonly errorCode: number;
}

export class RawHttp2Client {
  private buffered = Buffer.alloc(0);
  private nextStreamId = 1;
  private readonly ended = new Map<number, () => void>();
  /** The first GOAWAY the server sent; resolves with undefined if the connection closes without one. */
  readonly goaway: Promise<Goaway | undefined>;
  private settleGoaway!: (goaway: Goaway | undefined) => void;

  private constructor(private readonly socket: net.Socket) {
    this.goaway = new Promise((resolve) => {
      this.settleGoaway = resolve;
    });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('close', () => this.settleGoaway(undefined));
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawHttp2Client> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.setNoDelay(true);
    // The largest stream and connection windows, so replies never wait on flow control.
    const initialWindow = Buffer.alloc(6);
    initialWindow.writeUInt16BE(0x4, 0);
    initialWindow.writeUInt32BE(MAX_WINDOW, 2);
    const increment = Buffer.alloc(4);
    increment.writeUInt32BE(MAX_WINDOW - 65_535);
    socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0, initialWindow), frame(FRAME.WINDOW_UPDATE, 0, 0, increment)]));
    return new RawHttp2Client(socket);
  }

  /**
   * Opens a gRPC stream to `path`. With `message`, sends it as one gRPC frame and half-closes;
   * the returned promise resolves when the server ends the stream (END_STREAM or RST_STREAM).
   */
  open(path: string, message?: Buffer): { readonly id: number; readonly serverEnded: Promise<void> } {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const block = Buffer.concat([
      literal(':method', 'POST'),
      literal(':scheme', 'http'),
      literal(':path', path),
      literal(':authority', 'sidecar'),
      literal('content-type', 'application/grpc'),
      literal('te', 'trailers'),
    ]);
    const serverEnded = new Promise<void>((resolve) => this.ended.set(id, resolve));
    const frames = [frame(FRAME.HEADERS, FLAG.END_HEADERS, id, block)];
    if (message !== undefined) {
      const grpcFrame = Buffer.alloc(5 + message.length);
      grpcFrame.writeUInt32BE(message.length, 1);
      message.copy(grpcFrame, 5);
      frames.push(frame(FRAME.DATA, FLAG.END_STREAM, id, grpcFrame));
    }
    this.socket.write(Buffer.concat(frames));
    return { id, serverEnded };
  }

  /** Sends RST_STREAM for a stream, whatever its state (8 = CANCEL). */
  reset(id: number, errorCode = 8): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(errorCode);
    this.socket.write(frame(FRAME.RST_STREAM, 0, id, payload));
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 9) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < 9 + length) return;
      const type = this.buffered[3]!;
      const flags = this.buffered[4]!;
      const streamId = this.buffered.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buffered.subarray(9, 9 + length);
      this.buffered = this.buffered.subarray(9 + length);
      if (type === FRAME.SETTINGS && (flags & FLAG.ACK) === 0) this.socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
      else if (type === FRAME.PING && (flags & FLAG.ACK) === 0) this.socket.write(frame(FRAME.PING, FLAG.ACK, 0, Buffer.from(payload)));
      else if (type === FRAME.GOAWAY) this.settleGoaway({ lastStreamId: payload.readUInt32BE(0) & 0x7fffffff, errorCode: payload.readUInt32BE(4) });
      else if (type === FRAME.RST_STREAM || ((type === FRAME.HEADERS || type === FRAME.DATA) && (flags & FLAG.END_STREAM) !== 0)) {
        this.ended.get(streamId)?.();
        this.ended.delete(streamId);
      }
    }
  }
}
