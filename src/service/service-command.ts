import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { win32 } from 'node:path';
import { parseArgs } from 'node:util';
import { invalidArgument } from '../errors.js';
import {
  describePlan,
  installPlan,
  uninstallPlan,
  type ServicePlan,
  type WindowsServiceOptions,
} from './windows-service.js';

export const SERVICE_USAGE = `wincri service install|uninstall: run wincri as a Windows service (through WinSW)

  --winsw FILE            the WinSW executable (WinSW-x64.exe from github.com/winsw/winsw releases); install only
  --install-dir DIR       where wincri is installed (default C:\\Program Files\\wincri)
  --node FILE             node.exe (default: the one running this command)
  --config FILE           wincri's config file (default C:\\ProgramData\\wincri\\config.json)
  --log-dir DIR           WinSW's log files, rolled by size (default C:\\ProgramData\\wincri\\logs)
  --depends-on NAME       a service wincri needs first (repeatable; default docker)
  --kubelet-service NAME  make this service (the kubelet) start after wincri
  --kubelet-depends-on N  the kubelet's other dependencies, kept (repeatable)
  --dry-run               print the files and commands instead of running them (any OS)
`;

export type ServiceCommand = {
  action: 'install' | 'uninstall';
  dryRun: boolean;
  options: WindowsServiceOptions;
};

export function parseServiceCommand(argv: string[], nodeExe: string): ServiceCommand {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      winsw: { type: 'string' },
      'install-dir': { type: 'string' },
      node: { type: 'string' },
      config: { type: 'string' },
      'log-dir': { type: 'string' },
      'depends-on': { type: 'string', multiple: true },
      'kubelet-service': { type: 'string' },
      'kubelet-depends-on': { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
    },
  });
  const [action, ...extra] = positionals;
  if ((action !== 'install' && action !== 'uninstall') || extra.length > 0)
    throw invalidArgument(`wincri service: say install or uninstall\n\n${SERVICE_USAGE}`);
  if (action === 'install' && values.winsw === undefined)
    throw invalidArgument('wincri service install: --winsw FILE is required (the WinSW executable)');
  const options: WindowsServiceOptions = {
    installDir: values['install-dir'] ?? 'C:\\Program Files\\wincri',
    nodeExe: values.node ?? nodeExe,
    winswExe: values.winsw ?? '',
    configFile: values.config ?? 'C:\\ProgramData\\wincri\\config.json',
    logDir: values['log-dir'] ?? 'C:\\ProgramData\\wincri\\logs',
    dependsOn: values['depends-on'] ?? ['docker'],
  };
  if (values['kubelet-service'] !== undefined)
    options.kubeletService = {
      name: values['kubelet-service'],
      dependsOn: values['kubelet-depends-on'] ?? [],
    };
  return { action, dryRun: values['dry-run'] ?? false, options };
}

/** Prints the plan (`--dry-run`) or carries it out on Windows, stopping at the first failed command. */
export async function runServiceCommand(command: ServiceCommand, platform: NodeJS.Platform): Promise<string> {
  const plan: ServicePlan =
    command.action === 'install' ? installPlan(command.options) : uninstallPlan(command.options);
  if (command.dryRun) return describePlan(plan);
  if (platform !== 'win32')
    throw invalidArgument(
      'wincri service installs a Windows service; on Linux use packaging/systemd/wincri.service (or --dry-run)',
    );
  for (const file of plan.files) {
    await mkdir(win32.dirname(file.path), { recursive: true });
    await writeFile(file.path, file.content);
  }
  await mkdir(command.options.logDir, { recursive: true });
  for (const [program, ...args] of plan.commands) execFileSync(program!, args, { stdio: 'inherit' });
  return `${command.action === 'install' ? 'installed and started' : 'stopped and removed'} the wincri service\n`;
}
