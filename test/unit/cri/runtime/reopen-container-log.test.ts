import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  reopenContainerLog,
  type ReopenContainerLogDeps,
  type ReopenTarget,
} from '../../../../src/cri/runtime/reopen-container-log.js';
import { notFound } from '../../../../src/errors.js';

const ctx = {
  rpc: 'ReopenContainerLog',
  signal: new AbortController().signal,
  log: pino({ level: 'silent' }),
};

function setup(target: Partial<ReopenTarget> | undefined, hasCopier = true) {
  const calls: string[] = [];
  const deps: ReopenContainerLogDeps = {
    findContainer: async (id) => {
      if (target === undefined) throw notFound(`container ${id} not found`);
      return { id: 'engine-id', running: true, logPath: '/var/log/pods/p/c/0.log', tty: false, ...target };
    },
    logs: {
      has: () => hasCopier,
      start: (t) => void calls.push(`start ${t.containerId} ${t.path}`),
      reopen: async (id) => void calls.push(`reopen ${id}`),
    },
  };
  return { deps, calls };
}

describe('reopenContainerLog', () => {
  it('reopens the running container’s copier', async () => {
    const { deps, calls } = setup({});
    await expect(reopenContainerLog(deps, { container_id: 'abc' }, ctx)).resolves.toEqual({});
    expect(calls).toEqual(['reopen engine-id']);
  });

  it('FAILED_PRECONDITION for a container that is not running, and no new file', async () => {
    const { deps, calls } = setup({ running: false });
    await expect(reopenContainerLog(deps, { container_id: 'abc' }, ctx)).rejects.toMatchObject({
      kind: 'FailedPrecondition',
    });
    expect(calls).toEqual([]);
  });

  it('NOT_FOUND for an unknown container; INVALID_ARGUMENT without an id', async () => {
    await expect(
      reopenContainerLog(setup(undefined).deps, { container_id: 'nope' }, ctx),
    ).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(reopenContainerLog(setup({}).deps, { container_id: '' }, ctx)).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
  });

  it('a container without a log path has nothing to reopen', async () => {
    const { deps, calls } = setup({ logPath: '' });
    await reopenContainerLog(deps, { container_id: 'abc' }, ctx);
    expect(calls).toEqual([]);
  });

  it('a running container without a copier gets one (which makes the new file)', async () => {
    const { deps, calls } = setup({}, false);
    await reopenContainerLog(deps, { container_id: 'abc' }, ctx);
    expect(calls).toEqual(['start engine-id /var/log/pods/p/c/0.log']);
  });
});
