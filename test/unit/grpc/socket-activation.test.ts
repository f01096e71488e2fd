import { describe, expect, it } from 'vitest';
import { inheritedListenFd } from '../../../src/grpc/socket-activation.js';

describe('inheritedListenFd (systemd socket activation)', () => {
  it('takes fd 3 when LISTEN_PID names this process and LISTEN_FDS is 1, and clears the variables', () => {
    const env: NodeJS.ProcessEnv = {
      LISTEN_PID: '42',
      LISTEN_FDS: '1',
      LISTEN_FDNAMES: 'wincri.socket',
      PATH: '/bin',
    };
    expect(inheritedListenFd(env, 42)).toBe(3);
    expect(env).toEqual({ PATH: '/bin' });
  });

  it('ignores sockets meant for another process (an inherited environment), and clears them', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_PID: '41', LISTEN_FDS: '1' };
    expect(inheritedListenFd(env, 42)).toBeUndefined();
    expect(env).toEqual({});
  });

  it('binds the endpoint itself when nothing was passed', () => {
    expect(inheritedListenFd({}, 42)).toBeUndefined();
    expect(inheritedListenFd({ LISTEN_FDS: '1' }, 42)).toBeUndefined();
  });

  it('refuses more than one socket, saying what to change', () => {
    expect(() => inheritedListenFd({ LISTEN_PID: '42', LISTEN_FDS: '2' }, 42)).toThrow(
      /passed 2 sockets \(LISTEN_FDS\); wincri serves the CRI on exactly one/,
    );
  });
});
