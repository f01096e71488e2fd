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

function configError(config: unknown, os: 'linux' | 'windows'): string {
  try {
    resolveHandlerTable(config, os);
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
    expect(resolveHandlerTable(undefined, 'windows')).toBe(WINDOWS_DEFAULT_HANDLERS);
    expect(resolveHandlerTable(undefined, 'linux')).toBe(LINUX_DEFAULT_HANDLERS);
  });

  it('adds entries, replaces a built-in of the same name and takes a default', () => {
    const table = resolveHandlerTable(
      {
        default: 'auto',
        handlers: [
          { name: 'ltsc2019', isolation: 'hyperv' },
          { name: 'process', isolation: 'auto' },
        ],
      },
      'windows',
    );
    expect(table.defaultHandler).toBe('auto');
    expect(findHandler(table, 'ltsc2019')).toEqual({ name: 'ltsc2019', isolation: 'hyperv' });
    expect(findHandler(table, 'process')).toEqual({ name: 'process', isolation: 'auto' });
    expect(runtimeHandlerNames(table)).toHaveLength(7);
  });

  it('maps Linux handlers to Docker runtimes', () => {
    const table = resolveHandlerTable(
      { default: 'runc', handlers: [{ name: 'gvisor', dockerRuntime: 'runsc' }] },
      'linux',
    );
    expect(findHandler(table, '')).toEqual({ name: 'runc', dockerRuntime: 'runc' });
    expect(findHandler(table, 'gvisor')).toEqual({ name: 'gvisor', dockerRuntime: 'runsc' });
  });

  it.each([
    [[], 'windows', 'runtimeHandlers: must be an object'],
    [{ handler: [] }, 'windows', 'runtimeHandlers: unknown field(s) handler; expected default, handlers'],
    [{ handlers: {} }, 'windows', 'runtimeHandlers.handlers: must be an array'],
    [{ handlers: ['process'] }, 'windows', 'runtimeHandlers.handlers[0]: a handler must be an object'],
    [
      { handlers: [{ name: 'Hyper_V', isolation: 'hyperv' }] },
      'windows',
      'runtimeHandlers.handlers[0]: name "Hyper_V" is not a RuntimeClass handler name',
    ],
    [
      { handlers: [{ name: 'vm', isolation: 'hyper-v' }] },
      'windows',
      'runtimeHandlers.handlers[0] ("vm"): isolation must be one of process, hyperv, auto',
    ],
    [
      { handlers: [{ name: 'vm' }] },
      'windows',
      'runtimeHandlers.handlers[0] ("vm"): isolation must be one of',
    ],
    [
      { handlers: [{ name: 'vm', isolation: 'hyperv', dockerRuntime: 'runhcs' }] },
      'windows',
      '("vm"): dockerRuntime is a Linux-engine setting',
    ],
    [
      {
        handlers: [
          { name: 'a', isolation: 'process' },
          { name: 'a', isolation: 'hyperv' },
        ],
      },
      'windows',
      'runtimeHandlers.handlers[1] ("a"): the name appears twice',
    ],
    [
      { handlers: [{ name: 'a', isolation: 'process', runtime: 'x' }] },
      'windows',
      'runtimeHandlers.handlers[0]: unknown field(s) runtime',
    ],
    [
      { default: 'fast' },
      'windows',
      'runtimeHandlers.default: "fast" is not a handler here; choose one of process, hyperv',
    ],
    [{ default: '' }, 'windows', 'runtimeHandlers.default: "" is not a handler here'],
    [{ default: 3 }, 'linux', 'runtimeHandlers.default: must be a handler name'],
    [
      { handlers: [{ name: 'kata', isolation: 'hyperv' }] },
      'linux',
      '("kata"): isolation is a Windows-engine setting',
    ],
    [
      { handlers: [{ name: 'kata', dockerRuntime: ' ' }] },
      'linux',
      '("kata"): dockerRuntime must be a non-empty runtime name',
    ],
  ])('refuses %j on %s with a message naming the entry', (config, os, message) => {
    expect(configError(config, os as 'linux' | 'windows')).toContain(message);
  });
});
