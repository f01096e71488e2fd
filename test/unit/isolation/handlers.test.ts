import { describe, expect, it } from 'vitest';

import { CriError } from '../../../src/errors.js';
import {
  LINUX_DEFAULT_HANDLERS,
  WINDOWS_DEFAULT_HANDLERS,
  findHandler,
  handlersWithIsolation,
  resolveHandlerTable,
  runtimeHandlerNames,
} from '../../../src/isolation/handlers.js';

function configError(os: 'linux' | 'windows', handlers: unknown, defaultHandler?: unknown): string {
  try {
    resolveHandlerTable(os, handlers, defaultHandler);
  } catch (err) {
    if (err instanceof CriError && err.kind === 'InvalidArgument') return err.message;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('built-in handler tables', () => {
  it('Windows offers process, hyperv, auto and the containerd names, defaulting to process', () => {
    expect(runtimeHandlerNames(WINDOWS_DEFAULT_HANDLERS)).toEqual([
      '',
      'process',
      'hyperv',
      'auto',
      'runhcs-wcow-process',
      'runhcs-wcow-hypervisor',
    ]);
    expect(findHandler(WINDOWS_DEFAULT_HANDLERS, '')).toEqual({ name: 'process', isolation: 'process' });
    expect(findHandler(WINDOWS_DEFAULT_HANDLERS, 'runhcs-wcow-hypervisor')?.isolation).toBe('hyperv');
    expect(handlersWithIsolation(WINDOWS_DEFAULT_HANDLERS, 'hyperv')).toEqual([
      'hyperv',
      'runhcs-wcow-hypervisor',
    ]);
  });

  it('Linux leaves the default to the engine and names runc', () => {
    expect(runtimeHandlerNames(LINUX_DEFAULT_HANDLERS)).toEqual(['', 'runc']);
    expect(findHandler(LINUX_DEFAULT_HANDLERS, '')).toBeUndefined();
    expect(findHandler(LINUX_DEFAULT_HANDLERS, 'runc')).toEqual({ name: 'runc', dockerRuntime: 'runc' });
  });

  it('cannot be changed by accident', () => {
    expect(Object.isFrozen(WINDOWS_DEFAULT_HANDLERS)).toBe(true);
    expect(Object.isFrozen(WINDOWS_DEFAULT_HANDLERS.handlers)).toBe(true);
  });
});

describe('resolveHandlerTable', () => {
  it('returns the built-ins without config', () => {
    expect(resolveHandlerTable('windows')).toBe(WINDOWS_DEFAULT_HANDLERS);
    expect(resolveHandlerTable('linux')).toBe(LINUX_DEFAULT_HANDLERS);
  });

  it('adds entries, replaces a built-in of the same name and takes a default', () => {
    const table = resolveHandlerTable(
      'windows',
      [
        { name: 'ltsc2019', isolation: 'hyperv' },
        { name: 'process', isolation: 'auto' },
      ],
      'auto',
    );
    expect(table.defaultHandler).toBe('auto');
    expect(findHandler(table, 'ltsc2019')).toEqual({ name: 'ltsc2019', isolation: 'hyperv' });
    expect(findHandler(table, 'process')).toEqual({ name: 'process', isolation: 'auto' });
    expect(runtimeHandlerNames(table)).toHaveLength(7);
  });

  it('maps Linux handlers to Docker runtimes', () => {
    const table = resolveHandlerTable('linux', [{ name: 'gvisor', dockerRuntime: 'runsc' }], 'runc');
    expect(findHandler(table, '')).toEqual({ name: 'runc', dockerRuntime: 'runc' });
    expect(findHandler(table, 'gvisor')).toEqual({ name: 'gvisor', dockerRuntime: 'runsc' });
  });

  const vm = (entry: object) => [{ name: 'vm', ...entry }];
  it.each([
    ['windows', {}, undefined, 'runtimeHandlers: must be an array of handlers'],
    ['windows', ['process'], undefined, 'runtimeHandlers[0]: a handler must be an object'],
    [
      'windows',
      [{ name: 'Hyper_V', isolation: 'hyperv' }],
      undefined,
      'runtimeHandlers[0]: name "Hyper_V" is not a RuntimeClass handler name',
    ],
    [
      'windows',
      [{ name: 'x'.repeat(64), isolation: 'hyperv' }],
      undefined,
      'is not a RuntimeClass handler name',
    ],
    [
      'windows',
      vm({ isolation: 'hyper-v' }),
      undefined,
      'runtimeHandlers[0] ("vm"): isolation must be one of process, hyperv, auto',
    ],
    ['windows', vm({}), undefined, 'runtimeHandlers[0] ("vm"): isolation must be one of'],
    [
      'windows',
      vm({ isolation: 'hyperv', dockerRuntime: 'runhcs' }),
      undefined,
      '("vm"): dockerRuntime is a Linux-engine setting',
    ],
    [
      'windows',
      [...vm({ isolation: 'process' }), ...vm({ isolation: 'hyperv' })],
      undefined,
      'runtimeHandlers[1] ("vm"): the name appears twice',
    ],
    [
      'windows',
      vm({ isolation: 'process', runtime: 'x' }),
      undefined,
      'runtimeHandlers[0]: unknown field(s) runtime',
    ],
    [
      'windows',
      undefined,
      'fast',
      'defaultRuntimeHandler: "fast" is not a handler here; choose one of process, hyperv',
    ],
    ['windows', undefined, '', 'defaultRuntimeHandler: "" is not a handler here'],
    ['linux', undefined, 3, 'defaultRuntimeHandler: must be a handler name'],
    ['linux', vm({ isolation: 'hyperv' }), undefined, '("vm"): isolation is a Windows-engine setting'],
    [
      'linux',
      vm({ dockerRuntime: ' ' }),
      undefined,
      '("vm"): dockerRuntime must be a non-empty runtime name',
    ],
  ] as const)(
    'on %s refuses handlers %j, default %j with a message naming the entry',
    (os, handlers, defaultHandler, message) => {
      expect(configError(os, handlers, defaultHandler)).toContain(message);
    },
  );
});
