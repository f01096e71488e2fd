import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { loadCriRoot } from '../../../src/grpc/list-encoding.js';
import { CRI_PROTO_PATH, PROTO_LOADER_OPTIONS } from '../../../src/grpc/proto-options.js';
import { serviceDefinition } from '../../../src/grpc/service-definition.js';

// The server's definitions come from one protobufjs Root; proto-loader's (what the tests' clients
// and every grpc-js user load) are the reference they must match, method for method, byte for byte.
const root = loadCriRoot(CRI_PROTO_PATH);
const reference = grpc.loadPackageDefinition(
  protoLoader.loadSync(CRI_PROTO_PATH, PROTO_LOADER_OPTIONS),
) as unknown as {
  runtime: { v1: Record<string, { service: grpc.ServiceDefinition }> };
};

const SAMPLES: Record<string, object> = {
  ListContainersResponse: {
    containers: [
      {
        id: 'c1',
        pod_sandbox_id: 'p1',
        metadata: { name: 'app', attempt: 2 },
        image: { image: 'busybox' },
        state: 'CONTAINER_RUNNING',
        created_at: '1764806400000000000',
        labels: { a: 'b' },
      },
    ],
  },
  ContainerStatsResponse: {
    stats: {
      attributes: { id: 'c1' },
      cpu: { timestamp: '17', usage_core_nano_seconds: { value: '18446744073709551615' } },
    },
  },
  PullImageRequest: { image: { image: 'busybox', annotations: { x: 'y' } }, auth: { username: 'u' } },
  ExecSyncRequest: { container_id: 'c1', cmd: ['sh', '-c', 'true'], timeout: '5' },
  VersionResponse: {},
};

describe('serviceDefinition', () => {
  for (const service of ['RuntimeService', 'ImageService']) {
    it(`${service}: the same methods, paths and stream kinds as proto-loader's, and the same bytes and objects`, () => {
      const ours = serviceDefinition(root.lookupService(`runtime.v1.${service}`), PROTO_LOADER_OPTIONS);
      const theirs = reference.runtime.v1[service]!.service;
      expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
      for (const [name, method] of Object.entries(theirs)) {
        const mine = ours[name]!;
        expect([mine.path, mine.requestStream, mine.responseStream]).toEqual([
          method.path,
          method.requestStream,
          method.responseStream,
        ]);
        const requestType = root.lookupService(`runtime.v1.${service}`).methods[name]!.requestType;
        const responseType = root.lookupService(`runtime.v1.${service}`).methods[name]!.responseType;
        for (const [typeName, ser, deser, refSer, refDeser] of [
          [
            requestType,
            mine.requestSerialize,
            mine.requestDeserialize,
            method.requestSerialize,
            method.requestDeserialize,
          ],
          [
            responseType,
            mine.responseSerialize,
            mine.responseDeserialize,
            method.responseSerialize,
            method.responseDeserialize,
          ],
        ] as const) {
          const sample = SAMPLES[typeName] ?? {};
          const bytes = ser(sample);
          expect(Buffer.compare(bytes, refSer(sample)), `${name} ${typeName}`).toBe(0);
          expect(deser(bytes), `${name} ${typeName}`).toEqual(refDeser(bytes));
        }
      }
    });
  }

  it('refuses to serialize something that is not a message object', () => {
    const ours = serviceDefinition(root.lookupService('runtime.v1.RuntimeService'), PROTO_LOADER_OPTIONS);
    expect(() => ours['Version']!.responseSerialize([] as never)).toThrow(/expected an object/);
  });
});
