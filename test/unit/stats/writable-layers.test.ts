import { describe, expect, it } from 'vitest';
import { WritableLayers } from '../../../src/stats/writable-layers.js';

const silent = { warn: () => undefined };

describe('WritableLayers', () => {
  it('serves the last listing from memory and replaces it whole on the next', async () => {
    let sizes = new Map([
      ['a', 100],
      ['b', 0],
    ]);
    const layers = new WritableLayers({ containerSizes: async () => sizes }, 60_000, silent);
    await layers.refresh();
    expect(layers.get('a')?.usedBytes).toBe(100n);
    expect(layers.get('b')?.usedBytes).toBe(0n);
    expect(layers.get('a')?.timestampNs).toBeGreaterThan(0n);
    sizes = new Map([['a', 4096]]);
    await layers.refresh();
    expect(layers.get('a')?.usedBytes).toBe(4096n);
    expect(layers.get('b')).toBeUndefined();
  });

  it('keeps the last readings when the engine fails, and says so', async () => {
    const warnings: string[] = [];
    let fail = false;
    const layers = new WritableLayers(
      { containerSizes: async () => (fail ? Promise.reject(new Error('engine away')) : new Map([['a', 7]])) },
      60_000,
      { warn: (_obj, msg) => warnings.push(msg) },
    );
    await layers.refresh();
    fail = true;
    await layers.refresh();
    expect(layers.get('a')?.usedBytes).toBe(7n);
    expect(warnings).toHaveLength(1);
  });
});
