import type * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';

/**
 * grpc-js service definitions made straight from the protobufjs Root wincri parses once
 * (`loadCriRoot`), with the (de)serializers proto-loader would make: `toObject(decode(bytes),
 * options)` in, `encode(fromObject(value))` out. proto-loader's own `loadSync` parses the proto a
 * second time and keeps a descriptor object for every message of every method beside it, plus
 * protobufjs's descriptor extension: ~1.6 MiB of heap and ~5 MiB of RSS that serve nobody here
 * (docs/performance.md). Test clients still use proto-loader, which keeps the two honest.
 */
export function serviceDefinition(
  service: protobuf.Service,
  options: protobuf.IConversionOptions,
): grpc.ServiceDefinition {
  service.resolveAll();
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    const request = method.resolvedRequestType;
    const response = method.resolvedResponseType;
    if (!request || !response) throw new Error(`${method.fullName}: request or response type not resolved`);
    definition[method.name] = {
      path: `/${service.fullName.replace(/^\./, '')}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request, options),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response, options),
    };
  }
  return definition as grpc.ServiceDefinition;
}

function serializer(type: protobuf.Type): (value: unknown) => Buffer {
  return (value) => {
    if (Array.isArray(value) || typeof value !== 'object' || value === null)
      throw new TypeError(`cannot serialize ${typeof value} as ${type.name}: expected an object`);
    const bytes = type.encode(type.fromObject(value as Record<string, unknown>)).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: protobuf.Type, options: protobuf.IConversionOptions): (bytes: Buffer) => unknown {
  return (bytes) => type.toObject(type.decode(bytes), options);
}
