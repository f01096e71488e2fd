import { describe, expect, it } from 'vitest';

import { CriError } from '../../../src/errors.js';
import { ISOLATION_LABELS, decisionFromLabels, isolationLabels } from '../../../src/isolation/labels.js';
import type { IsolationDecision } from '../../../src/isolation/select.js';

const decisions: IsolationDecision[] = [
  {
    handler: '',
    resolvedHandler: 'process',
    isolation: 'process',
    reason: 'handler "process": process isolation as asked',
    hostBuild: 20348,
    imageBuild: 20348,
  },
  {
    handler: 'auto',
    resolvedHandler: 'auto',
    isolation: 'hyperv',
    reason: 'auto chose Hyper-V',
    hostBuild: 20348,
  },
  {
    handler: 'gvisor',
    resolvedHandler: 'gvisor',
    isolation: undefined,
    dockerRuntime: 'runsc',
    reason: 'runsc',
  },
  { handler: '', resolvedHandler: '', isolation: undefined, reason: "the engine's default runtime" },
];

describe('isolation labels', () => {
  it.each(decisions)('round-trip $resolvedHandler/$isolation', (decision) => {
    const labels = isolationLabels(decision);
    for (const key of Object.keys(labels)) expect(key.startsWith('io.wincri.')).toBe(true);
    expect(decisionFromLabels(labels)).toEqual(decision);
  });

  it('writes the keys other code reads', () => {
    expect(isolationLabels(decisions[1]!)).toEqual({
      'io.wincri.runtime-handler': 'auto',
      'io.wincri.runtime-handler.resolved': 'auto',
      'io.wincri.isolation': 'hyperv',
      'io.wincri.isolation.reason': 'auto chose Hyper-V',
      'io.wincri.host-build': '20348',
    });
  });

  it('finds no decision on a container wincri did not make', () => {
    expect(decisionFromLabels(undefined)).toBeUndefined();
    expect(decisionFromLabels({ 'com.example': 'x' })).toBeUndefined();
  });

  it.each([
    [
      { [ISOLATION_LABELS.runtimeHandler]: 'x', [ISOLATION_LABELS.isolation]: 'default' },
      'neither process nor hyperv',
    ],
    [
      { [ISOLATION_LABELS.runtimeHandler]: 'x', [ISOLATION_LABELS.hostBuild]: '20348a' },
      'is not a build number',
    ],
  ])('refuses malformed labels %j', (labels, message) => {
    try {
      decisionFromLabels(labels);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CriError);
      expect((err as CriError).kind).toBe('Internal');
      expect((err as CriError).message).toContain(message);
    }
  });
});
