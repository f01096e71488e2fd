/**
 * wincri as a Windows service, through WinSW (github.com/winsw/winsw, MIT): Node has no Service
 * Control Manager handler of its own, so a wrapper answers the SCM and runs `node main.js serve`.
 * WinSW rather than NSSM (no release since 2017) or node-windows (which itself generates a WinSW
 * wrapper): it is one signed-off executable plus an XML file, restarts the child on failure, rolls
 * its stdout/stderr log files by size, and on a service stop sends the child Ctrl+C (which Node
 * delivers as SIGINT: wincri ends event streams and drains calls, docs/operations.md) before it
 * kills it after `stoptimeout`.
 *
 * `installPlan` is pure: the files to write and the commands to run, in order, so the CLI can show
 * them (`--dry-run`) or run them, and the tests can check them on any OS.
 */
import { win32 } from 'node:path';

export interface WindowsServiceOptions {
  /** Where wincri is installed (holds dist\src\main.js). */
  installDir: string;
  /** node.exe to run it with. */
  nodeExe: string;
  /** The WinSW executable the operator downloaded (WinSW-x64.exe); copied next to its XML. */
  winswExe: string;
  /** wincri's config file (`--config`). */
  configFile: string;
  /** Where WinSW writes wincri-service.out.log / .err.log (rolled by size). */
  logDir: string;
  /** Services that must run first (the Docker engine's service is `docker`). */
  dependsOn: string[];
  /**
   * The kubelet's service, made to depend on wincri so it starts after it. `sc.exe config depend=`
   * replaces the whole list, so this is the kubelet's full new list; empty: leave the kubelet alone.
   */
  kubeletService?: { name: string; dependsOn: string[] };
}

export interface ServicePlan {
  files: { path: string; content: string }[];
  /** Each an argv; the first element is the program. */
  commands: string[][];
}

export const SERVICE_ID = 'wincri';
/** 30 s for wincri's stop: shutdownDrainMs (10 s by default) plus the rest of the stop. */
const STOP_TIMEOUT = '30 sec';

/** Element text only (no value goes into an attribute), so quotes stay as they are. */
const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An argument as Windows' command line parser reads it back (quotes only when needed). */
const quoteArg = (arg: string) => (/[\s"]/.test(arg) ? `"${arg.replace(/"/g, '\\"')}"` : arg);

function wrapperPaths(options: WindowsServiceOptions) {
  const wrapper = win32.join(options.installDir, `${SERVICE_ID}-service.exe`);
  return { wrapper, xml: wrapper.replace(/\.exe$/, '.xml') };
}

export function serviceXml(options: WindowsServiceOptions): string {
  const main = win32.join(options.installDir, 'dist', 'src', 'main.js');
  const args = [main, 'serve', '--config', options.configFile].map(quoteArg).join(' ');
  return [
    '<service>',
    `  <id>${SERVICE_ID}</id>`,
    '  <name>wincri</name>',
    '  <description>wincri: Kubernetes CRI v1 runtime over the Docker Engine</description>',
    `  <executable>${xmlEscape(options.nodeExe)}</executable>`,
    `  <arguments>${xmlEscape(args)}</arguments>`,
    `  <workingdirectory>${xmlEscape(options.installDir)}</workingdirectory>`,
    '  <startmode>Automatic</startmode>',
    ...options.dependsOn.map((name) => `  <depend>${xmlEscape(name)}</depend>`),
    // Restart whenever wincri exits unexpectedly; after an hour without failures the count resets.
    '  <onfailure action="restart" delay="2 sec"/>',
    '  <resetfailure>1 hour</resetfailure>',
    `  <stoptimeout>${STOP_TIMEOUT}</stoptimeout>`,
    `  <logpath>${xmlEscape(options.logDir)}</logpath>`,
    '  <log mode="roll-by-size">',
    '    <sizeThreshold>10240</sizeThreshold>',
    '    <keepFiles>8</keepFiles>',
    '  </log>',
    '</service>',
    '',
  ].join('\n');
}

export function installPlan(options: WindowsServiceOptions): ServicePlan {
  const { wrapper, xml } = wrapperPaths(options);
  const commands: string[][] = [
    ['cmd.exe', '/d', '/c', 'copy', '/y', options.winswExe, wrapper],
    [wrapper, 'install'],
    // The SCM's own recovery too, for the case WinSW itself dies: restart after 2 s, 2 s, 10 s.
    [
      'sc.exe',
      'failure',
      SERVICE_ID,
      'reset=',
      '3600',
      'actions=',
      'restart/2000/restart/2000/restart/10000',
    ],
  ];
  const kubelet = options.kubeletService;
  if (kubelet) {
    const depends = [...new Set([...kubelet.dependsOn, SERVICE_ID])];
    commands.push(['sc.exe', 'config', kubelet.name, 'depend=', depends.join('/')]);
  }
  commands.push([wrapper, 'start']);
  return { files: [{ path: xml, content: serviceXml(options) }], commands };
}

export function uninstallPlan(options: Pick<WindowsServiceOptions, 'installDir'>): ServicePlan {
  const { wrapper } = wrapperPaths(options as WindowsServiceOptions);
  // `stop` first: WinSW's uninstall leaves a running service marked for deletion until it stops.
  return {
    files: [],
    commands: [
      [wrapper, 'stop'],
      [wrapper, 'uninstall'],
    ],
  };
}

/** The plan as a person would type it (for `--dry-run`). */
export function describePlan(plan: ServicePlan): string {
  const files = plan.files.map((f) => `# write ${f.path}\n${f.content}`);
  const commands = plan.commands.map((argv) => argv.map(quoteArg).join(' '));
  return [...files, ...commands, ''].join('\n');
}
