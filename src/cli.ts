import { parseArgs } from 'node:util';
import { readConfigFile, resolveConfig, type ConfigInput, type HostOs } from './config/config.js';

export const USAGE = `wincri: a CRI v1 runtime for Windows (and Linux) containers on the Docker Engine

Usage:
  wincri serve [flags]     serve the CRI RuntimeService and ImageService
  wincri doctor [flags]    check this node for wincri: pass/warn/fail and what to do; exit 0/1/2
                           (serve's flags, plus --json and --kubelet-config FILE); changes nothing
  wincri version           print the version
  wincri service ...       install or remove wincri as a Windows service (wincri service --help)
  wincri --help            this text

Flags for serve (a flag overrides the config file, which overrides the defaults):
  --listen URI               CRI endpoint (default unix:///run/wincri/wincri.sock;
                             Windows npipe:////./pipe/wincri)
  --docker-host URI          Docker engine (default unix:///var/run/docker.sock;
                             Windows npipe:////./pipe/docker_engine)
  --config FILE              JSON config file (keys as in docs/configuration.md)
  --log-level LEVEL          trace, debug, info, warn, error (default info)
  --sandbox-image REF        pause image for pod sandboxes (default registry.k8s.io/pause:3.10)
  --registry-mirror HOST=URL pull HOST's images through URL, keeping their names (repeatable)
  --root-dir DIR             wincri's state directory (default /var/lib/wincri)
  --streaming-address H:P    exec/attach/port-forward server (default 127.0.0.1:0, loopback)
  --streaming-tls-cert FILE  serve streaming over TLS with this certificate ...
  --streaming-tls-key FILE   ... and this key
  --log-format FORMAT        json (default, one pino JSON object a line) or text (readable)
  --slow-call-ms N           warn when a polled read takes longer (default 1000)
  --metrics-address ADDR     serve Prometheus metrics on ADDR/metrics (host:port, or a port
                             on loopback); off by default
  --network-plugin cni|""    pod networking: CNI plugins, or "" (default) for the engine's network
  --cni-conf-dir DIR         CNI network configs (default /etc/cni/net.d; Windows C:\\etc\\cni\\net.d)
  --cni-bin-dir DIR          CNI plugin binaries (default /opt/cni/bin; repeatable or a,b)
  --cni-cache-dir DIR        CNI results kept for DEL across restarts (default /var/lib/cni/cache)
`;

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'serve'; input: ConfigInput; configFile?: string }
  | { kind: 'doctor'; input: ConfigInput; configFile?: string; json: boolean; kubeletConfig?: string };

export function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      listen: { type: 'string' },
      'docker-host': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      'sandbox-image': { type: 'string' },
      'registry-mirror': { type: 'string', multiple: true },
      'root-dir': { type: 'string' },
      'streaming-address': { type: 'string' },
      'streaming-tls-cert': { type: 'string' },
      'streaming-tls-key': { type: 'string' },
      'metrics-address': { type: 'string' },
      'log-format': { type: 'string' },
      'slow-call-ms': { type: 'string' },
      'network-plugin': { type: 'string' },
      'cni-conf-dir': { type: 'string' },
      'cni-bin-dir': { type: 'string', multiple: true },
      'cni-cache-dir': { type: 'string' },
      json: { type: 'boolean' },
      'kubelet-config': { type: 'string' },
    },
  });
  const [verb, ...extra] = positionals;
  if (values.help || verb === undefined || verb === 'help') return { kind: 'help' };
  if (extra.length > 0) throw new Error(`unexpected arguments: ${extra.join(' ')}`);
  if (verb === 'version') return { kind: 'version' };
  if (verb !== 'serve' && verb !== 'doctor')
    throw new Error(`unknown command ${JSON.stringify(verb)}; try wincri --help`);
  if (verb === 'serve' && (values.json !== undefined || values['kubelet-config'] !== undefined))
    throw new Error('--json and --kubelet-config are flags of wincri doctor');
  const input: ConfigInput = {};
  if (values.listen !== undefined) input.listen = values.listen;
  if (values['docker-host'] !== undefined) input.dockerHost = values['docker-host'];
  if (values['log-level'] !== undefined) input.logLevel = values['log-level'];
  if (values['sandbox-image'] !== undefined) input.sandboxImage = values['sandbox-image'];
  if (values['registry-mirror'] !== undefined) input.registryMirrors = values['registry-mirror'];
  if (values['root-dir'] !== undefined) input.rootDir = values['root-dir'];
  if (values['streaming-address'] !== undefined) input.streamingAddress = values['streaming-address'];
  if (values['streaming-tls-cert'] !== undefined) input.streamingTlsCert = values['streaming-tls-cert'];
  if (values['streaming-tls-key'] !== undefined) input.streamingTlsKey = values['streaming-tls-key'];
  if (values['metrics-address'] !== undefined) input.metricsAddress = values['metrics-address'];
  if (values['log-format'] !== undefined) input.logFormat = values['log-format'];
  if (values['slow-call-ms'] !== undefined) input.slowCallMs = Number(values['slow-call-ms']);
  if (values['network-plugin'] !== undefined) input.networkPlugin = values['network-plugin'];
  if (values['cni-conf-dir'] !== undefined) input.cniConfDir = values['cni-conf-dir'];
  if (values['cni-bin-dir'] !== undefined) input.cniBinDir = values['cni-bin-dir'];
  if (values['cni-cache-dir'] !== undefined) input.cniCacheDir = values['cni-cache-dir'];
  const file = values.config === undefined ? {} : { configFile: values.config };
  if (verb === 'serve') return { kind: 'serve', input, ...file };
  const kubelet = values['kubelet-config'] === undefined ? {} : { kubeletConfig: values['kubelet-config'] };
  return { kind: 'doctor', input, ...file, json: values.json ?? false, ...kubelet };
}

/** Config for `serve` (and `doctor`): defaults for this OS, then the config file, then the flags. */
export async function loadServeConfig(command: Extract<Command, { kind: 'serve' | 'doctor' }>, os: HostOs) {
  const file = command.configFile === undefined ? {} : await readConfigFile(command.configFile);
  return resolveConfig(os, file, command.input);
}
