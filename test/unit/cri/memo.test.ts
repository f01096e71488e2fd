import { describe, expect, it } from 'vitest';
import { deepFreeze, ItemMemo } from '../../../src/cri/memo.js';

describe('ItemMemo', () => {
  it('hands out the same frozen item while the key and inputs are the same ones', () => {
    const memo = new ItemMemo<object, { n: number; nested: { k: string } }>();
    const key = {};
    let builds = 0;
    const build = () => ({ n: ++builds, nested: { k: 'v' } });
    const first = memo.get(key, ['a', 1n], build);
    expect(memo.get(key, ['a', 1n], build)).toBe(first);
    expect(builds).toBe(1);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.nested)).toBe(true);
  });

  it('rebuilds when an input is another object, even an equal one, or when the key differs', () => {
    const memo = new ItemMemo<object, { n: number }>();
    const key = {};
    let builds = 0;
    const build = () => ({ n: ++builds });
    const sample = { cpu: 1 };
    memo.get(key, [sample], build);
    expect(memo.get(key, [{ cpu: 1 }], build).n).toBe(2);
    expect(memo.get(key, [{ cpu: 1 }, undefined], build).n).toBe(3);
    expect(memo.get({}, [], build).n).toBe(4);
  });

  it('does not keep an item built as not cacheable (one that says "now")', () => {
    const memo = new ItemMemo<object, { n: number }>();
    const key = {};
    let builds = 0;
    const build = () => ({ n: ++builds });
    const loose = memo.get(key, [undefined], build, false);
    expect(Object.isFrozen(loose)).toBe(false);
    expect(memo.get(key, [undefined], build, false).n).toBe(2);
    expect(memo.get(key, [undefined], build).n).toBe(3);
    expect(memo.get(key, [undefined], build).n).toBe(3);
  });
});

describe('deepFreeze', () => {
  it('freezes objects and arrays all the way down, and leaves byte buffers writable', () => {
    const value = deepFreeze({ list: [{ a: 1 }], bytes: Buffer.from('x'), n: 1n, s: 'x' });
    expect(Object.isFrozen(value.list)).toBe(true);
    expect(Object.isFrozen(value.list[0])).toBe(true);
    value.bytes[0] = 0x79;
    expect(value.bytes.toString()).toBe('y');
  });
});
