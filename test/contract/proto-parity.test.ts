// Proves proto/runtime/v1/api.proto (written here, with our own comments) describes exactly the
// same API as upstream k8s.io/cri-api at the version in proto/VERSION. Upstream comes from the Go
// module proxy (or the local module cache), the only place that publishes the file.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { CRI_PROTO_PATH } from '../../src/grpc/proto-options.js';

const VERSION_FILE = join(CRI_PROTO_PATH, '..', '..', '..', 'VERSION');
const UPSTREAM_PATH_IN_MODULE = join('pkg', 'apis', 'runtime', 'v1', 'api.proto');

/** Options as a stable string: `[deprecated=true]` on fields, `go_package` on the package, etc. */
function describeOptions(options: Record<string, unknown> | undefined): string {
  if (!options) return '';
  const entries = Object.entries(options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '' : ` [${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
}

/** protobufjs full names start with a dot (".runtime.v1.Foo"); proto text does not. */
const nameOf = (object: protobuf.ReflectionObject): string => object.fullName.replace(/^\./, '');

function describeField(owner: string, field: protobuf.Field): string {
  const type = field.resolvedType ? nameOf(field.resolvedType) : field.type;
  const label =
    field instanceof protobuf.MapField
      ? `map<${field.keyType},${type}>`
      : `${field.toJSON().rule ?? 'singular'} ${type}`;
  const oneof = field.partOf ? ` oneof ${field.partOf.name}` : '';
  return `message ${owner} field ${field.id} ${field.name} ${label}${oneof}${describeOptions(field.options)}`;
}

/**
 * Every API-relevant fact of a parsed proto as one line each, sorted: services and methods (types
 * and streaming), messages (nested too), fields (number, name, label, type, map key/value, oneof,
 * options), oneofs, reserved ranges, enums and values, and options at every level. Comments and
 * declaration order are left out on purpose: they do not change the wire format or the API.
 */
function describeProto(root: protobuf.Root): string[] {
  root.resolveAll();
  const lines: string[] = [];
  const visit = (object: protobuf.ReflectionObject): void => {
    const name = nameOf(object);
    if (object instanceof protobuf.Service) {
      lines.push(`service ${name}${describeOptions(object.options)}`);
      for (const method of object.methodsArray) {
        method.resolve();
        const request = method.resolvedRequestType ? nameOf(method.resolvedRequestType) : method.requestType;
        const response = method.resolvedResponseType
          ? nameOf(method.resolvedResponseType)
          : method.responseType;
        lines.push(
          `service ${name} rpc ${method.name} (${method.requestStream ? 'stream ' : ''}${request})` +
            ` returns (${method.responseStream ? 'stream ' : ''}${response})${describeOptions(method.options)}`,
        );
      }
    } else if (object instanceof protobuf.Type) {
      lines.push(`message ${name}${describeOptions(object.options)}`);
      for (const field of object.fieldsArray) lines.push(describeField(name, field));
      for (const oneof of object.oneofsArray) {
        lines.push(
          `message ${name} oneof ${oneof.name} (${oneof.oneof.join(',')})${describeOptions(oneof.options)}`,
        );
      }
      for (const reserved of object.reserved ?? [])
        lines.push(`message ${name} reserved ${JSON.stringify(reserved)}`);
      for (const range of object.extensions ?? [])
        lines.push(`message ${name} extensions ${JSON.stringify(range)}`);
    } else if (object instanceof protobuf.Enum) {
      lines.push(`enum ${name}${describeOptions(object.options)}`);
      for (const [valueName, id] of Object.entries(object.values)) {
        lines.push(
          `enum ${name} value ${valueName} = ${id}${describeOptions(object.valuesOptions?.[valueName])}`,
        );
      }
      for (const reserved of object.reserved ?? [])
        lines.push(`enum ${name} reserved ${JSON.stringify(reserved)}`);
    } else if (object instanceof protobuf.Field) {
      lines.push(`extend ${describeField(object.extend ?? '?', object)}`);
    } else if (object !== root) {
      lines.push(`package ${name}${describeOptions(object.options)}`);
    }
    if (object instanceof protobuf.Namespace) object.nestedArray.forEach(visit);
  };
  visit(root);
  return lines.sort();
}

/** describeProto plus what only the file text carries: syntax, package and imports. */
function describeProtoSource(source: string): string[] {
  const parsed = protobuf.parse(source, { keepCase: true });
  const syntax = /^\s*(syntax|edition)\s*=\s*"([^"]*)"/m.exec(source);
  return [
    `file ${syntax?.[1] ?? 'syntax'} ${syntax?.[2] ?? 'proto2'}`,
    `file package ${parsed.package ?? ''}`,
    ...(parsed.imports ?? []).map((path) => `file import ${path}`),
    ...(parsed.weakImports ?? []).map((path) => `file import weak ${path}`),
    ...describeProto(parsed.root),
  ];
}

/** Lines only upstream has ("- ") and lines only we have ("+ "); empty when equal. */
function diffLines(upstream: string[], ours: string[]): string[] {
  const theirs = new Set(upstream);
  const mine = new Set(ours);
  return [
    ...upstream.filter((line) => !mine.has(line)).map((line) => `- ${line}`),
    ...ours.filter((line) => !theirs.has(line)).map((line) => `+ ${line}`),
  ];
}

function methodCount(source: string, service: string): number {
  return protobuf.parse(source, { keepCase: true }).root.lookupService(service).methodsArray.length;
}

async function fetchUpstreamProto(): Promise<{ module: string; source: string }> {
  // proto/VERSION is "k8s.io/cri-api v0.37.2": the same pin the proto's header names.
  const [path, version] = readFileSync(VERSION_FILE, 'utf8').trim().split(/\s+/);
  const module = `${path}@${version}`;
  // Outside any Go module, so a go.mod in the tree can never redirect or refuse the download.
  const { stdout } = await promisify(execFile)('go', ['mod', 'download', '-json', module], {
    cwd: tmpdir(),
    env: { ...process.env, GOFLAGS: '' },
  });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module}: ${info.Error ?? 'no Dir in output'}`);
  return { module, source: readFileSync(join(info.Dir, UPSTREAM_PATH_IN_MODULE), 'utf8') };
}

const ours = readFileSync(CRI_PROTO_PATH, 'utf8');

describe('proto/runtime/v1/api.proto equals upstream k8s.io/cri-api', () => {
  let upstream: { module: string; source: string };
  beforeAll(async () => {
    upstream = await fetchUpstreamProto();
  }, 120_000);

  it('describes the same services, methods, messages, fields, enums and options', () => {
    const diff = diffLines(describeProtoSource(upstream.source), describeProtoSource(ours));
    expect(diff, `differences from ${upstream.module} (- upstream only, + ours only)`).toEqual([]);
  });

  it('has 37 RuntimeService and 6 ImageService methods, like upstream', () => {
    for (const source of [upstream.source, ours]) {
      expect(methodCount(source, 'runtime.v1.RuntimeService')).toBe(37);
      expect(methodCount(source, 'runtime.v1.ImageService')).toBe(6);
    }
  });

  it('keeps none of the upstream comment text', () => {
    // Our comments are our own: no upstream comment line of 40+ characters appears in ours.
    const long = upstream.source
      .split('\n')
      .map((line) => /^\s*\/\/\s*(.*)$/.exec(line)?.[1]?.trim() ?? '')
      .filter((text) => text.length >= 40);
    expect(long.length).toBeGreaterThan(100);
    expect(long.filter((text) => ours.includes(text))).toEqual([]);
  });
});

// The comparison must not pass vacuously: each mutation of a fresh in-memory copy of our proto
// has to show up in the diff as exactly the changed lines.
describe('describeProto catches', () => {
  const baseline = describeProtoSource(ours);
  const mutated = (mutate: (root: protobuf.Root) => void): string[] => {
    const parsed = protobuf.parse(ours, { keepCase: true });
    mutate(parsed.root);
    return diffLines(baseline, describeProto(parsed.root));
  };
  const fileLines = (lines: string[]): string[] => lines.filter((line) => !/^[-+] file /.test(line));

  it('sees the whole API (sanity)', () => {
    // v0.37.2: 175 messages, 10 top-level enums plus SecurityProfile.ProfileType, 37 + 6 RPCs.
    const kinds = (pattern: RegExp): number => baseline.filter((line) => pattern.test(line)).length;
    expect(kinds(/^message \S+( \[.*\])?$/)).toBe(175);
    expect(kinds(/^enum \S+( \[.*\])?$/)).toBe(11);
    expect(kinds(/ rpc /)).toBe(43);
  });

  it('a changed field number', () => {
    const diff = mutated((root) => {
      const field = root.lookupType('runtime.v1.PodSandboxConfig').fields['hostname'];
      if (field) field.id = 30;
    });
    expect(fileLines(diff)).toEqual([
      '- message runtime.v1.PodSandboxConfig field 2 hostname singular string',
      '+ message runtime.v1.PodSandboxConfig field 30 hostname singular string',
    ]);
  });

  it('a renamed enum value', () => {
    const diff = mutated((root) => {
      const state = root.lookupEnum('runtime.v1.PodSandboxState');
      state.remove('SANDBOX_READY');
      state.add('SANDBOX_IS_READY', 0);
    });
    expect(fileLines(diff)).toEqual([
      '- enum runtime.v1.PodSandboxState value SANDBOX_READY = 0',
      '+ enum runtime.v1.PodSandboxState value SANDBOX_IS_READY = 0',
    ]);
  });

  it('a dropped RPC', () => {
    const diff = mutated((root) => {
      const service = root.lookupService('runtime.v1.RuntimeService');
      const method = service.methods['PortForward'];
      if (method) service.remove(method);
    });
    expect(fileLines(diff)).toEqual([
      '- service runtime.v1.RuntimeService rpc PortForward (runtime.v1.PortForwardRequest) returns (runtime.v1.PortForwardResponse)',
    ]);
  });

  it('a changed streaming flag', () => {
    const diff = mutated((root) => {
      const method = root.lookupService('runtime.v1.RuntimeService').methods['GetContainerEvents'];
      if (method) method.responseStream = false;
    });
    expect(fileLines(diff)).toEqual([
      '- service runtime.v1.RuntimeService rpc GetContainerEvents (runtime.v1.GetEventsRequest) returns (stream runtime.v1.ContainerEventResponse)',
      '+ service runtime.v1.RuntimeService rpc GetContainerEvents (runtime.v1.GetEventsRequest) returns (runtime.v1.ContainerEventResponse)',
    ]);
  });

  it('a dropped deprecated option, a changed map value type and a repeated field made singular', () => {
    const diff = mutated((root) => {
      const security = root.lookupType('runtime.v1.LinuxContainerSecurityContext').fields['apparmor_profile'];
      if (security) security.options = {};
      const labels = root.lookupType('runtime.v1.PodSandboxConfig').fields['labels'];
      if (labels) labels.type = 'bytes';
      const dns = root.lookupType('runtime.v1.DNSConfig');
      const servers = dns.fields['servers'];
      if (servers) dns.remove(servers).add(new protobuf.Field('servers', 1, 'string'));
    });
    expect(fileLines(diff)).toEqual([
      '- message runtime.v1.DNSConfig field 1 servers repeated string',
      '- message runtime.v1.LinuxContainerSecurityContext field 9 apparmor_profile singular string [deprecated=true]',
      '- message runtime.v1.PodSandboxConfig field 6 labels map<string,string>',
      '+ message runtime.v1.DNSConfig field 1 servers singular string',
      '+ message runtime.v1.LinuxContainerSecurityContext field 9 apparmor_profile singular string',
      '+ message runtime.v1.PodSandboxConfig field 6 labels map<string,bytes>',
    ]);
  });

  it('a changed syntax, package option or import in the file text', () => {
    const changed = ours
      .replace('syntax = "proto3";', 'edition = "2023";')
      .replace(
        'option go_package = "k8s.io/cri-api/pkg/apis/runtime/v1";',
        'option go_package = "example.com/x";\nimport "other.proto";',
      );
    expect(diffLines(baseline, describeProtoSource(changed))).toEqual([
      '- file syntax proto3',
      '- package runtime.v1 [go_package="k8s.io/cri-api/pkg/apis/runtime/v1"]',
      '+ file edition 2023',
      '+ file import other.proto',
      '+ package runtime.v1 [go_package="example.com/x"]',
    ]);
  });
});
