import { describe, expect, it } from 'vitest';

import { CriError } from '../../../src/errors.js';
import { type PodContainerRef, hyperVPodConstraints } from '../../../src/isolation/hyperv-pod.js';

const c = (name: string, state: PodContainerRef['state']): PodContainerRef => ({
  id: `${name}0123456789abcdef`,
  name,
  state,
});

describe('hyperVPodConstraints', () => {
  it.each([
    ['a process pod with many containers', 'process', [c('app', 'running'), c('sidecar', 'running')]],
    ['a Linux pod', undefined, [c('app', 'running')]],
    ['the first container of a Hyper-V pod', 'hyperv', []],
    [
      'the app container after init containers exited',
      'hyperv',
      [c('init-1', 'exited'), c('init-2', 'exited')],
    ],
    ['a restart after the previous container exited', 'hyperv', [c('app', 'exited')]],
  ] as const)('allows %s', (_what, isolation, containers) => {
    expect(() =>
      hyperVPodConstraints({ pod: 'default/web', isolation, newContainer: 'app', containers }),
    ).not.toThrow();
  });

  it.each([
    ['running', c('app', 'running')],
    ['created', c('app', 'created')],
    ['unknown', c('app', 'unknown')],
  ])('refuses a second container while the first is %s', (state, first) => {
    try {
      hyperVPodConstraints({
        pod: 'default/web',
        isolation: 'hyperv',
        newContainer: 'sidecar',
        containers: [first],
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CriError);
      const e = err as CriError;
      expect(e.kind).toBe('FailedPrecondition');
      expect(e.message).toContain('pod default/web runs under Hyper-V isolation');
      expect(e.message).toContain(
        `container "sidecar" cannot be created while "app" (app012345678) is ${state}`,
      );
      expect(e.message).toContain('process-isolated RuntimeClass');
    }
  });
});
