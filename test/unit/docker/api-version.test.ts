import { describe, expect, it } from 'vitest';
import { apiAtLeast, canRecursiveReadOnly } from '../../../src/docker/api-version.js';

describe('apiAtLeast', () => {
  it.each([
    ['1.41', '1.41', true],
    ['1.56', '1.44', true],
    ['1.43', '1.44', false],
    ['1.9', '1.41', false],
    ['2.0', '1.44', true],
    ['', '1.41', false],
    ['1.x', '1.41', false],
  ])('%s >= %s: %s', (version, minimum, expected) => {
    expect(apiAtLeast(version, minimum)).toBe(expected);
  });
});

describe('canRecursiveReadOnly', () => {
  const linux = { osType: 'linux', apiVersion: '1.56', kernelVersion: '6.18.0-1-amd64' };
  it('a Linux engine on API 1.44+ and a 5.12+ kernel can', () => {
    expect(canRecursiveReadOnly(linux)).toBe(true);
    expect(canRecursiveReadOnly({ ...linux, apiVersion: '1.44', kernelVersion: '5.12.0' })).toBe(true);
  });
  it('an older API, an older kernel, an unreadable kernel or a Windows engine cannot', () => {
    expect(canRecursiveReadOnly({ ...linux, apiVersion: '1.41' })).toBe(false);
    expect(canRecursiveReadOnly({ ...linux, kernelVersion: '5.10.0-28-amd64' })).toBe(false);
    expect(canRecursiveReadOnly({ ...linux, kernelVersion: '' })).toBe(false);
    expect(canRecursiveReadOnly({ ...linux, osType: 'windows', kernelVersion: '10.0 20348' })).toBe(false);
  });
});
