import { execFileSync, spawn } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortForward } from '../support/crictl.js';
import { BUSYBOX, CrictlPods } from '../support/crictl-pods.js';
import { loadRig, type Rig } from '../support/rig.js';
import { startWincri, type WincriProcess } from '../support/wincri-process.js';

/**
 * exec, attach and port-forward through crictl (the Go client kubelet and kubectl share) against
 * wincri's streaming server and the rig's dockerd, over SPDY and over WebSocket.
 */
let rig: Rig;
let wincri: WincriProcess;
let pods: CrictlPods;
let containerId: string;
let podId: string;

beforeAll(async () => {
  rig = loadRig();
  wincri = await startWincri({ dockerHost: rig.dockerHost, mirrors: rig.mirrors });
  pods = new CrictlPods(rig.crictl, () => wincri.endpoint);
  expect((await pods.run('pull', BUSYBOX)).code).toBe(0);
  const pod = await pods.pod('stream');
  podId = pod.id;
  // A web server bound to 127.0.0.1 only: reachable through port-forward, not from the host.
  containerId = await pods.container(pod, 'web', [
    'sh',
    '-c',
    'mkdir -p /www && echo inside-the-pod > /www/index.html && httpd -f -p 127.0.0.1:8080 -h /www',
  ]);
});
afterAll(async () => {
  await pods?.cleanup();
  await wincri?.stop();
});

/** Runs crictl with stdin, for `exec -i`. */
function crictlWithInput(
  args: string[],
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(rig.crictl, ['--runtime-endpoint', wincri.endpoint, '--timeout', '30s', ...args], {
      env: { ...process.env, CRI_CONFIG_FILE: '/dev/null' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

function httpGet(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/index.html', timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(['spdy', 'websocket'] as const)('crictl over %s', (transport) => {
  it('exec: output, and the exit code of a failing command', async () => {
    const ok = await pods.run(
      'exec',
      '--transport',
      transport,
      containerId,
      'sh',
      '-c',
      'echo out; echo err >&2',
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('out');
    // crictl exits 1 for a streaming exec that failed, and prints the code it was told (the v4
    // status on the error stream): only `exec -s` passes the code through as its own.
    const failed = await pods.run('exec', '--transport', transport, containerId, 'sh', '-c', 'exit 3');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/command terminated with exit code 3/);
  });

  it('exec -i: stdin reaches the process, and its EOF ends it', async () => {
    const out = await crictlWithInput(
      ['exec', '-i', '--transport', transport, containerId, 'sh', '-c', 'tr a-z A-Z'],
      'hello wincri\n',
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe('HELLO WINCRI\n');
  });

  it('port-forward reaches a service bound to 127.0.0.1 inside the pod', async () => {
    const forward = await startPortForward(
      rig.crictl,
      wincri.endpoint,
      podId,
      { local: 0, remote: 8080 },
      transport,
    );
    try {
      expect(await httpGet(forward.localPort)).toEqual({ status: 200, body: 'inside-the-pod\n' });
    } finally {
      forward.stop();
    }
  });
});

describe('crictl exec -it in a terminal (tmux)', () => {
  let session = '';
  const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  async function waitFor(text: RegExp): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const shown = screen();
      if (text.test(shown)) return shown;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the terminal never showed ${text}:\n${screen()}`);
  }

  it.each(['spdy', 'websocket'])(
    'over %s: type a command, read its output, resize the terminal',
    async (transport) => {
      // One session name per case: the previous case's session may still be on its way out.
      session = `wincri-e2e-${process.pid}-${transport}`;
      const command = `${rig.crictl} --runtime-endpoint ${wincri.endpoint} exec -it --transport ${transport} ${containerId} sh`;
      // When the previous case's shell exits, the tmux server shuts down; a new session asked for
      // in that moment can fail. Ask again.
      for (let attempt = 1; ; attempt++) {
        try {
          tmux(
            'new-session',
            '-d',
            '-s',
            session,
            '-x',
            '100',
            '-y',
            '30',
            `CRI_CONFIG_FILE=/dev/null ${command}`,
          );
          break;
        } catch (err) {
          if (attempt === 10) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      try {
        await waitFor(/^\/ #\s*$/m); // busybox sh prompt (capture-pane trims the trailing space)
        tmux('send-keys', '-t', session, 'echo answer=$((6*7))', 'Enter');
        await waitFor(/^answer=42$/m);
        tmux('send-keys', '-t', session, 'stty size', 'Enter');
        await waitFor(/^30 100$/m);
        tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
        await new Promise((r) => setTimeout(r, 300));
        tmux('send-keys', '-t', session, 'stty size', 'Enter');
        await waitFor(/^40 120$/m);
        tmux('send-keys', '-t', session, 'exit', 'Enter');
      } finally {
        try {
          tmux('kill-session', '-t', session);
        } catch {
          // The session ended with the shell.
        }
      }
    },
  );
});

describe('bad input', () => {
  it('a client that goes away mid-exec leaves no process behind', async () => {
    const child = spawn(
      rig.crictl,
      ['--runtime-endpoint', wincri.endpoint, 'exec', '-i', containerId, 'sleep', '4242'],
      {
        env: { ...process.env, CRI_CONFIG_FILE: '/dev/null' },
      },
    );
    const running = async () => (await pods.run('exec', '-s', containerId, 'pgrep', 'sleep')).stdout.trim();
    for (let i = 0; i < 50 && (await running()) === ''; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await running()).not.toBe('');
    child.kill('SIGKILL');
    let left = 'not checked';
    for (let i = 0; i < 50 && left !== ''; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await running();
    }
    expect(left).toBe('');
  });

  it('exec in an unknown container is NOT_FOUND', async () => {
    const out = await pods.run('exec', 'no-such-container', 'true');
    expect(out.stderr).toMatch(/NotFound/);
  });

  it('a streaming URL is single-use: a second request with the same token is 404', async () => {
    const { criClient } = await import('../support/cri-client.js');
    const client = criClient(wincri.endpoint);
    try {
      const { url } = await client.call<{ url: string }>('runtime', 'Exec', {
        container_id: containerId,
        cmd: ['true'],
        stdout: true,
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]+$/);
      const first = await fetch(url, { method: 'POST' });
      expect(first.status).toBe(400); // no upgrade headers: the token is spent all the same
      const second = await fetch(url, { method: 'POST' });
      expect(second.status).toBe(404);
    } finally {
      client.close();
    }
  });
});
