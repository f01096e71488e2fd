import { describe, expect, it } from 'vitest';
import { matchesId, matchesLabels, matchesState } from '../../../../src/cri/convert/filters.js';

describe('List filters', () => {
  it.each([
    [undefined, { a: '1' }, true],
    [{}, { a: '1' }, true],
    [{ a: '1' }, { a: '1', b: '2' }, true],
    [{ a: '1', b: '2' }, { a: '1' }, false],
    [{ a: '2' }, { a: '1' }, false],
    [{ a: '' }, {}, false],
  ])('label selector %j over %j -> %s', (selector, labels, expected) => {
    expect(matchesLabels(selector, labels)).toBe(expected);
  });

  it.each([
    [undefined, 'abcdef', true],
    ['', 'abcdef', true],
    ['abc', 'abcdef', true],
    ['abcdef', 'abcdef', true],
    ['bcd', 'abcdef', false],
  ])('id %j over %s -> %s', (filter, id, expected) => {
    expect(matchesId(filter, id)).toBe(expected);
  });

  it.each([
    [null, 'SANDBOX_READY', true],
    [{ state: 'SANDBOX_READY' }, 'SANDBOX_READY', true],
    [{ state: 'SANDBOX_NOTREADY' }, 'SANDBOX_READY', false],
  ] as const)('state %j over %s -> %s', (filter, state, expected) => {
    expect(matchesState<string>(filter, state)).toBe(expected);
  });
});
