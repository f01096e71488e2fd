import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Small shell-script CNI plugins for tests. Each call is recorded in `<record dir>` as
 * `<seq>-<plugin>-<COMMAND>.json`: the CNI_* environment and the stdin it was given, so a test can
 * check exactly what a runtime handed a plugin.
 */
export interface PluginRig {
  readonly root: string;
  readonly binDir: string;
  readonly confDir: string;
  readonly cacheDir: string;
  readonly recordDir: string;
}

export interface RecordedCall {
  readonly seq: number;
  readonly plugin: string;
  readonly command: string;
  readonly env: Record<string, string>;
  readonly stdin: Record<string, unknown>;
}

export async function pluginRig(): Promise<PluginRig> {
  const root = await mkdtemp(join(tmpdir(), 'wincri-cni-'));
  const rig = {
    root,
    binDir: join(root, 'bin'),
    confDir: join(root, 'net.d'),
    cacheDir: join(root, 'cache'),
    recordDir: join(root, 'calls'),
  };
  await Promise.all([mkdir(rig.binDir), mkdir(rig.confDir), mkdir(rig.recordDir)]);
  return rig;
}

/**
 * A recording plugin. `onAdd` is shell that prints the ADD result (default: prevResult, or an IP
 * result when there is none); `body` runs first for every command (e.g. to fail or hang).
 */
export async function writePlugin(
  rig: PluginRig,
  name: string,
  opts: { body?: string; addResult?: string } = {},
): Promise<string> {
  const defaultResult = `{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/test"}],"ips":[{"address":"10.77.0.5/24","interface":0},{"address":"fd00::5/64","interface":0}]}`;
  const script = `#!/bin/sh
stdin=$(cat)
seq=$(ls "${rig.recordDir}" | wc -l)
printf '{"env":{"CNI_COMMAND":"%s","CNI_CONTAINERID":"%s","CNI_NETNS":"%s","CNI_IFNAME":"%s","CNI_ARGS":"%s","CNI_PATH":"%s"},"stdin":%s}' \\
  "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_ARGS" "$CNI_PATH" "$stdin" \\
  > "${rig.recordDir}/$(printf %04d "$seq")-${name}-$CNI_COMMAND.json"
${opts.body ?? ''}
if [ "$CNI_COMMAND" = ADD ]; then
  ${
    opts.addResult ??
    `prev=$(printf '%s' "$stdin" | "${process.execPath}" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).prevResult;if(p)process.stdout.write(JSON.stringify(p))})')
  if [ -n "$prev" ]; then printf '%s' "$prev"; else printf '%s' '${defaultResult}'; fi`
  }
fi
exit 0
`;
  const path = join(rig.binDir, name);
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}

export async function recordedCalls(rig: PluginRig): Promise<RecordedCall[]> {
  const names = (await readdir(rig.recordDir)).sort();
  return Promise.all(
    names.map(async (n) => {
      const [seq, ...rest] = n.replace(/\.json$/, '').split('-');
      const command = rest.pop()!;
      const data = JSON.parse(await readFile(join(rig.recordDir, n), 'utf8')) as Omit<
        RecordedCall,
        'seq' | 'plugin' | 'command'
      >;
      return { seq: Number(seq), plugin: rest.join('-'), command, ...data };
    }),
  );
}

export const conflist = (name: string, plugins: Record<string, unknown>[], cniVersion = '1.0.0') =>
  JSON.stringify({ cniVersion, name, plugins });
