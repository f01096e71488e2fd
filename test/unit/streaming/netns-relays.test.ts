import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { NetnsRelays, RELAY } from '../../../src/streaming/netns-relays.js';
import { collect } from './support/spdy-client.js';

// The helpers enter "the pod's" network namespace: here the test process's own, which needs root
// and nsenter (util-linux).
const canEnter =
  process.getuid?.() === 0 &&
  spawnSync('nsenter', ['--version']).status === 0 &&
  process.platform === 'linux';

const servers: net.Server[] = [];
let relays: NetnsRelays | undefined;

afterEach(async () => {
  await relays?.close();
  relays = undefined;
  for (const server of servers.splice(0)) server.close();
});

async function listen(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!canEnter)('NetnsRelays (nsenter into this process)', () => {
  it('hands over sockets that miss none of the bytes a server sends first', async () => {
    const port = await listen((socket) => socket.end(`banner ${socket.remotePort}\n`));
    relays = new NetnsRelays();
    // Concurrent requests queue their socket hand-overs in the helper: a socket waiting there
    // must not read (and lose) the banner meanwhile.
    const sockets = await Promise.all(Array.from({ length: 8 }, () => relays!.connect(process.pid, port)));
    const banners = await Promise.all(sockets.map((s) => collect(s)));
    expect(banners.map((b) => b.toString())).toEqual(sockets.map((s) => `banner ${s.localPort}\n`));
    expect(relays.relayPids).toHaveLength(1);
  });

  it('keeps the client side open after the pod closes its side', async () => {
    let received = '';
    const got = new Promise<void>((resolve) =>
      listen((socket) => {
        socket.end('bye');
        socket.on('data', (d: Buffer) => (received += d.toString()));
        socket.on('end', resolve);
      }).then((port) => void start(port)),
    );
    relays = new NetnsRelays();
    const start = async (port: number) => {
      const client = new PassThrough();
      const answer = new PassThrough();
      const stream = Duplex.from({ readable: client, writable: answer });
      const dialed = relays!.dial({ pid: process.pid, ip: '', port }, stream, new AbortController().signal);
      expect((await collect(answer)).toString()).toBe('bye');
      client.end('late words');
      await dialed;
    };
    await got;
    expect(received).toBe('late words');
  });

  it('reports a closed port in the words users see today', async () => {
    const port = await listen(() => undefined);
    servers.pop()!.close();
    relays = new NetnsRelays();
    await expect(relays.connect(process.pid, port)).rejects.toThrow(
      `port ${port} in the pod cannot be reached: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('stops an idle helper, starts a new one on the next request, and stops all on close', async () => {
    const port = await listen((socket) => socket.end());
    relays = new NetnsRelays(150);
    (await relays.connect(process.pid, port)).destroy();
    const [first] = relays.relayPids;
    await expect.poll(() => alive(first!), { timeout: 3000 }).toBe(false);
    expect(relays.relayPids).toEqual([]);
    (await relays.connect(process.pid, port)).destroy();
    const [second] = relays.relayPids;
    expect(second).not.toBe(first);
    await relays.close();
    expect(alive(second!)).toBe(false);
  });

  it('helper exits when the process that started it dies', async () => {
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const c = require('node:child_process').spawn('nsenter', ['-t', '${process.pid}', '-n', process.execPath, '-e', process.argv[1]], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
         c.once('message', () => console.log(c.pid));`,
        RELAY,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const helper = Number(line.toString().trim());
    expect(alive(helper)).toBe(true);
    parent.kill('SIGKILL');
    await expect.poll(() => alive(helper), { timeout: 3000 }).toBe(false);
  });

  it('refuses a sandbox without a process', async () => {
    relays = new NetnsRelays();
    await expect(relays.connect(0, 80)).rejects.toThrow('no running process');
  });
});
