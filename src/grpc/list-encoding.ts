/**
 * Encoding of list replies, one item at a time, each item at most once.
 *
 * The kubelet polls ListPodSandbox, ListContainers and the stats lists every second or so, and
 * between two polls almost nothing changes. Encoding a whole reply each time (proto-loader's
 * serializer: `fromObject`, then `encode`) costs ~0.2 ms for 100 pods and ~1 ms for 100 pods'
 * stats, most of it converting int64 strings back into Longs. A repeated message field is just its
 * items' encodings one after another (tag, length, bytes), so a reply can be put together from
 * encoded items, and an item the handler hands out again unchanged need not be encoded again.
 *
 * The contract with handlers: an item that is **frozen** (`Object.isFrozen`, see src/cri/memo.ts)
 * will never change, so its bytes are kept (weakly: they go when the item does). Items that are
 * not frozen are encoded every time, exactly as before. The bytes are the same either way.
 */

import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { sameObjects } from '../cri/memo.js';

type Serialize = (value: unknown) => Buffer;

/**
 * The service definition with item-caching serializers on every unary method whose reply is a
 * plain list; every other method keeps proto-loader's serializer.
 */
export function withListItemCaching(
  definition: grpc.ServiceDefinition,
  service: protobuf.Service,
): grpc.ServiceDefinition {
  const adapted: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    const responseType = service.methods[name]?.resolvedResponseType;
    const serialize =
      method.responseStream || !responseType ? undefined : itemCachingSerializer(responseType);
    adapted[name] = serialize ? { ...method, responseSerialize: serialize } : method;
  }
  return adapted as grpc.ServiceDefinition;
}

/** Wire type 2 (length-delimited), as every embedded message is sent. */
const LENGTH_DELIMITED = 2;

/**
 * For a response type whose only field is a repeated message (`ListPodSandboxResponse.items`,
 * `ListContainerStatsResponse.stats`, ...): a serializer that encodes per item and keeps the bytes
 * of frozen items. Undefined for any other shape (the caller keeps proto-loader's serializer).
 */
export function itemCachingSerializer(responseType: protobuf.Type): Serialize | undefined {
  const fields = responseType.fieldsArray;
  const field = fields[0];
  if (fields.length !== 1 || !field || !field.repeated || field.map) return undefined;
  field.resolve();
  const itemType = field.resolvedType;
  if (!(itemType instanceof protobuf.Type)) return undefined;

  const tag = encodeVarint((field.id << 3) | LENGTH_DELIMITED);
  const encoded = new WeakMap<object, Uint8Array>();
  const encodeItem = (item: object): Uint8Array => {
    const known = encoded.get(item);
    if (known) return known;
    const bytes = itemType.encode(itemType.fromObject(item as Record<string, unknown>)).finish();
    if (Object.isFrozen(item)) encoded.set(item, bytes);
    return bytes;
  };

  // The last reply made only of frozen items: a poll that finds nothing changed gets its bytes again.
  let last: { items: readonly object[]; bytes: Buffer } | undefined;

  return (value) => {
    const items: unknown = (value as Record<string, unknown> | null)?.[field.name];
    if (items === undefined || items === null) return Buffer.alloc(0);
    if (!Array.isArray(items)) {
      throw new TypeError(`${responseType.name}.${field.name} must be an array, got ${typeof items}`);
    }
    // grpc-js copies the reply's bytes into its frame and never changes them: safe to hand out again.
    if (last && sameObjects(last.items, items)) return last.bytes;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const item of items as unknown[]) {
      if (typeof item !== 'object' || item === null) {
        throw new TypeError(`${responseType.name}.${field.name} holds a ${typeof item}, not a message`);
      }
      const bytes = encodeItem(item);
      const length = encodeVarint(bytes.length);
      parts.push(tag, length, bytes);
      total += tag.length + length.length + bytes.length;
    }
    const bytes = Buffer.concat(parts, total);
    last = (items as object[]).every((item) => Object.isFrozen(item))
      ? { items: [...items], bytes }
      : undefined;
    return bytes;
  };
}

/** Base-128 varint of a non-negative 32-bit integer (tags and lengths). */
function encodeVarint(n: number): Uint8Array {
  const out: number[] = [];
  let rest = n >>> 0;
  while (rest > 0x7f) {
    out.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** The CRI proto parsed by protobufjs, with the field names as written (proto-loader's keepCase). */
export function loadCriRoot(protoPath: string): protobuf.Root {
  const root = new protobuf.Root();
  root.loadSync(protoPath, { keepCase: true });
  root.resolveAll();
  return root;
}
