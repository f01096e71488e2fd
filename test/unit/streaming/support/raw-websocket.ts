/**
 * A bare WebSocket client for `SPDY/3.1+portforward.k8s.io`: the `ws` client refuses that
 * subprotocol (it is not an RFC 7230 token), though gorilla/websocket, client-go's library,
 * sends it. Only what the tunnel needs: masked binary frames out, binary/close/ping frames in.
 */

import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { upgradeRequest } from './spdy-client.js';

export async function openTunnel(
  url: string,
  protocol: string,
): Promise<{ tunnel: Duplex; protocol: string | undefined }> {
  const result = await upgradeRequest(
    url,
    {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Protocol': protocol,
    },
    'GET',
  );
  if ('answer' in result) throw new Error(`status ${result.answer.status}`);
  const { socket, head, headers } = result.upgraded;
  let pending = head;
  const frame = (opcode: number, payload: Buffer) => {
    const mask = randomBytes(4);
    const length =
      payload.length < 126
        ? Buffer.from([payload.length | 0x80])
        : payload.length < 65536
          ? Buffer.from([126 | 0x80, payload.length >> 8, payload.length & 0xff])
          : Buffer.concat([
              Buffer.from([127 | 0x80, 0, 0, 0, 0]),
              Buffer.from([
                (payload.length >>> 24) & 0xff,
                (payload.length >> 16) & 0xff,
                (payload.length >> 8) & 0xff,
                payload.length & 0xff,
              ]),
            ]);
    const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
    return Buffer.concat([Buffer.from([0x80 | opcode]), length, mask, masked]);
  };
  const tunnel = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      socket.write(frame(0x2, chunk), cb);
    },
    final(cb) {
      socket.end(frame(0x8, Buffer.from([0x03, 0xe8])), cb);
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  const parse = () => {
    for (;;) {
      if (pending.length < 2) return;
      const opcode = (pending[0] as number) & 0x0f;
      let length = (pending[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (pending.length < 4) return;
        length = pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (pending.length < 10) return;
        length = Number(pending.readBigUInt64BE(2));
        offset = 10;
      }
      if (pending.length < offset + length) return;
      const payload = pending.subarray(offset, offset + length);
      pending = pending.subarray(offset + length);
      if (opcode === 0x2 || opcode === 0x0) tunnel.push(payload);
      else if (opcode === 0x9) socket.write(frame(0xa, payload));
      else if (opcode === 0x8) tunnel.push(null);
    }
  };
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    parse();
  });
  socket.on('close', () => tunnel.destroy());
  parse();
  const chosen = headers['sec-websocket-protocol'];
  return { tunnel, protocol: Array.isArray(chosen) ? chosen[0] : chosen };
}
