/**
 * Reply items kept per source object, for the replies the kubelet polls every second.
 *
 * A store record (src/store/runtime-store.ts) is replaced, never changed, when its container
 * changes; a collector sample likewise. So an item converted from a record (and the samples it
 * read) stays right for as long as those same objects are the current ones: keep it, frozen, and
 * hand out the same object again. Frozen items are also encoded only once by the gRPC door
 * (src/grpc/list-encoding.ts), so an unchanged pod costs a map lookup per poll.
 */

/** Freezes an object and everything reachable from it (plain data: objects, arrays, Buffers left as they are). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value))
    return value;
  Object.freeze(value);
  for (const child of Object.values(value as object)) deepFreeze(child);
  return value;
}

/**
 * Items derived from a key object and a few more inputs (compared with `Object.is`). An item is
 * rebuilt when an input differs from the ones it was built from; it is dropped with its key.
 */
export class ItemMemo<K extends object, V extends object> {
  readonly #items = new WeakMap<K, { inputs: readonly unknown[]; item: V }>();

  /**
   * The kept item for `key` when built from the same `inputs`, else `build()`'s, kept and frozen.
   * `cacheable: false` (the item holds something of the moment, such as "now") builds without
   * keeping.
   */
  get(key: K, inputs: readonly unknown[], build: () => V, cacheable = true): V {
    const kept = this.#items.get(key);
    if (kept && sameObjects(kept.inputs, inputs)) return kept.item;
    const item = build();
    if (!cacheable) return item;
    this.#items.set(key, { inputs, item: deepFreeze(item) });
    return item;
  }
}

/** The same values, element by element and in order (`Object.is`: objects by identity). */
export function sameObjects(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
