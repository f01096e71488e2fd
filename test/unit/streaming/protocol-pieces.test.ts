import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { commandStatus, statusJson, statusText } from '../../../src/streaming/command-status.js';
import {
  negotiateSpdyProtocol,
  negotiateWebSocketProtocol,
  SPDY_COMMAND_PROTOCOLS,
  WEBSOCKET_COMMAND_PROTOCOLS,
} from '../../../src/streaming/handshake.js';
import { JsonValueSplitter, readResizeEvents } from '../../../src/streaming/resize.js';

describe('X-Stream-Protocol-Version negotiation', () => {
  it('picks the first client protocol the server supports, across repeated and comma-joined headers', () => {
    const offered = {
      'x-stream-protocol-version': ['v5.channel.k8s.io, v4.channel.k8s.io', 'v3.channel.k8s.io'],
    };
    expect(negotiateSpdyProtocol(offered, SPDY_COMMAND_PROTOCOLS)).toEqual({
      ok: true,
      protocol: 'v4.channel.k8s.io',
    });
  });

  it('400 without the header or with an empty one, 403 with the accepted list otherwise', () => {
    expect(negotiateSpdyProtocol({}, SPDY_COMMAND_PROTOCOLS)).toMatchObject({ ok: false, status: 400 });
    expect(
      negotiateSpdyProtocol({ 'x-stream-protocol-version': ' , ' }, SPDY_COMMAND_PROTOCOLS),
    ).toMatchObject({ ok: false, status: 400 });
    expect(
      negotiateSpdyProtocol({ 'x-stream-protocol-version': 'portforward.k8s.io' }, SPDY_COMMAND_PROTOCOLS),
    ).toEqual({
      ok: false,
      status: 403,
      message: expect.stringContaining('unable to negotiate protocol') as string,
      headers: { 'X-Accepted-Stream-Protocol-Versions': [...SPDY_COMMAND_PROTOCOLS] },
    });
  });

  it('WebSocket: client order wins; no offer means the unnamed binary protocol', () => {
    expect(
      negotiateWebSocketProtocol(
        { 'sec-websocket-protocol': 'base64.channel.k8s.io, v5.channel.k8s.io' },
        WEBSOCKET_COMMAND_PROTOCOLS,
      ),
    ).toEqual({ ok: true, protocol: 'base64.channel.k8s.io' });
    expect(negotiateWebSocketProtocol({}, WEBSOCKET_COMMAND_PROTOCOLS)).toEqual({ ok: true, protocol: '' });
    expect(
      negotiateWebSocketProtocol(
        { 'sec-websocket-protocol': 'v6.channel.k8s.io' },
        WEBSOCKET_COMMAND_PROTOCOLS,
      ),
    ).toMatchObject({ ok: false, status: 403 });
  });
});

describe('error-stream status', () => {
  it('matches metav1.Status JSON byte for byte', () => {
    expect(statusJson({ kind: 'success' }).toString()).toBe('{"metadata":{},"status":"Success"}');
    expect(statusJson({ kind: 'exit', exitCode: 42, cmd: ['sh', '-c', 'exit 42'] }).toString()).toBe(
      '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 42], exit code 42","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"42"}]}}',
    );
    expect(statusJson({ kind: 'error', message: 'boom' }).toString()).toBe(
      '{"metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}',
    );
  });

  it('v1-v3 plain text: the message, nothing on success', () => {
    expect(statusText({ kind: 'success' }).length).toBe(0);
    expect(statusText({ kind: 'error', message: 'boom' }).toString()).toBe('Internal error occurred: boom');
    expect(commandStatus({ kind: 'exit', exitCode: 1, cmd: ['false'] }).reason).toBe('NonZeroExitCode');
  });
});

describe('resize stream', () => {
  it('splits JSON values across arbitrary chunk boundaries, strings included', () => {
    const splitter = new JsonValueSplitter();
    const input = '{"Width":80,"Height":24}\n{"Width":1,"Height":2,"x":"}{\\""}{"Width":3,"Height":4}';
    const values: string[] = [];
    for (const ch of input) values.push(...splitter.push(ch));
    expect(values).toEqual([
      '{"Width":80,"Height":24}',
      '{"Width":1,"Height":2,"x":"}{\\""}',
      '{"Width":3,"Height":4}',
    ]);
  });

  it('yields sizes until the stream ends, and stops at malformed input', async () => {
    const source = new PassThrough();
    source.end(
      '{"Width":80,"Height":24}{"width":100,"height":30}\n{"Width":-1,"Height":1}{"Width":5,"Height":5}',
    );
    const sizes = [];
    for await (const size of readResizeEvents(source)) sizes.push(size);
    expect(sizes).toEqual([
      { width: 80, height: 24 },
      { width: 100, height: 30 },
    ]);
  });

  it('ends when the stream is destroyed', async () => {
    const source = new PassThrough();
    source.write('{"Width":1,"Height":1}');
    const iterator = readResizeEvents(source);
    expect((await iterator.next()).value).toEqual({ width: 1, height: 1 });
    source.destroy();
    expect((await iterator.next()).done).toBe(true);
  });
});
