import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';

import { loadSync, type MethodDefinition, type ServiceDefinition } from '@grpc/proto-loader';
import { describe, expect, expectTypeOf, it } from 'vitest';

import type { ContainerConfig__Output } from '../../../src/generated/runtime/v1/ContainerConfig.js';
import type { PodSandboxStatusResponse__Output } from '../../../src/generated/runtime/v1/PodSandboxStatusResponse.js';
import { CRI_PROTO_PATH, PROTO_LOADER_OPTIONS, parseLoaderOptions } from '../../../src/grpc/proto-options.js';

const definition = loadSync(CRI_PROTO_PATH, PROTO_LOADER_OPTIONS);
const runtimeService = definition['runtime.v1.RuntimeService'] as ServiceDefinition;
const method = (name: string): MethodDefinition<object, object> => {
  const found = runtimeService[name];
  if (!found) throw new Error(`no RuntimeService/${name}`);
  return found;
};

describe('PROTO_LOADER_OPTIONS', () => {
  it('are the options the CRI shim is designed around', () => {
    expect(PROTO_LOADER_OPTIONS).toEqual({
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    expect(Object.isFrozen(PROTO_LOADER_OPTIONS)).toBe(true);
  });

  it('find the proto from the package root', () => {
    expect(isAbsolute(CRI_PROTO_PATH)).toBe(true);
    expect(existsSync(CRI_PROTO_PATH)).toBe(true);
    expect(Object.keys(runtimeService)).toHaveLength(37);
    expect(Object.keys(definition['runtime.v1.ImageService'] as ServiceDefinition)).toHaveLength(6);
  });

  it('decode int64 nanoseconds as exact strings and enums as names, as the generated types say', () => {
    const createdAt = '1700000000123456789'; // > 2^53: a number would round it
    const { responseSerialize, responseDeserialize } = method('PodSandboxStatus');
    const decoded = responseDeserialize(
      responseSerialize({ status: { id: 'p1', state: 'SANDBOX_READY', created_at: createdAt } }),
    ) as PodSandboxStatusResponse__Output;
    expect(decoded.status?.created_at).toBe(createdAt);
    expect(decoded.status?.state).toBe('SANDBOX_READY');
    expect(decoded.info).toEqual({}); // defaults: maps and repeated fields are never undefined
    expectTypeOf<PodSandboxStatusResponse__Output['timestamp']>().toEqualTypeOf<string>();
  });

  it('decode bytes (KeyValue.value, an env var value since cri-api v0.36.3) as a Buffer', () => {
    const { requestSerialize, requestDeserialize } = method('CreateContainer');
    const value = Buffer.from([0x66, 0x00, 0xff]); // not valid UTF-8: why upstream made it bytes
    const decoded = requestDeserialize(requestSerialize({ config: { envs: [{ key: 'K', value }] } })) as {
      config: ContainerConfig__Output;
    };
    expect(decoded.config.envs[0]?.value).toEqual(value);
    expectTypeOf<ContainerConfig__Output['envs'][number]['value']>().toEqualTypeOf<Buffer>();
  });
});

describe('parseLoaderOptions', () => {
  it('maps constructor names to constructors', () => {
    expect(parseLoaderOptions('{"longs":"Number","bytes":"String","arrays":false}', 'x')).toEqual({
      longs: Number,
      bytes: String,
      arrays: false,
    });
  });

  it.each([
    ['an unknown option', '{"keepcase":true}', /unsupported option keepcase=true/],
    ['an unknown constructor', '{"longs":"BigInt"}', /unsupported option longs="BigInt"/],
    ['a wrongly typed flag', '{"defaults":"yes"}', /unsupported option defaults="yes"/],
    ['a non-object', '[]', /expected a JSON object/],
  ])('rejects %s (the generator would read it differently)', (_case, json, message) => {
    expect(() => parseLoaderOptions(json, 'loader-options.json')).toThrow(message);
  });
});
