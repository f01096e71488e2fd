import { describe, expect, it } from 'vitest';
import { parseServiceCommand, runServiceCommand } from '../../../src/service/service-command.js';
import { installPlan, serviceXml, uninstallPlan } from '../../../src/service/windows-service.js';

const NODE = 'C:\\Program Files\\nodejs\\node.exe';
const install = (...extra: string[]) =>
  parseServiceCommand(['install', '--winsw', 'C:\\Downloads\\WinSW-x64.exe', ...extra], NODE);

describe('wincri service install (the plan)', () => {
  it('copies WinSW next to its XML, installs, sets SCM recovery, then starts; in that order', () => {
    const plan = installPlan(install().options);
    expect(plan.commands).toEqual([
      [
        'cmd.exe',
        '/d',
        '/c',
        'copy',
        '/y',
        'C:\\Downloads\\WinSW-x64.exe',
        'C:\\Program Files\\wincri\\wincri-service.exe',
      ],
      ['C:\\Program Files\\wincri\\wincri-service.exe', 'install'],
      [
        'sc.exe',
        'failure',
        'wincri',
        'reset=',
        '3600',
        'actions=',
        'restart/2000/restart/2000/restart/10000',
      ],
      ['C:\\Program Files\\wincri\\wincri-service.exe', 'start'],
    ]);
    expect(plan.files.map((f) => f.path)).toEqual(['C:\\Program Files\\wincri\\wincri-service.xml']);
  });

  it('the XML runs node on main.js serve with the config, starts automatically after docker, restarts, rolls its logs', () => {
    const xml = serviceXml(install().options);
    expect(xml).toContain(`<executable>${NODE}</executable>`);
    expect(xml).toContain(
      '<arguments>"C:\\Program Files\\wincri\\dist\\src\\main.js" serve --config C:\\ProgramData\\wincri\\config.json</arguments>',
    );
    expect(xml).toContain('<startmode>Automatic</startmode>');
    expect(xml).toContain('<depend>docker</depend>');
    expect(xml).toContain('<onfailure action="restart" delay="2 sec"/>');
    expect(xml).toContain('<stoptimeout>30 sec</stoptimeout>');
    expect(xml).toContain('<logpath>C:\\ProgramData\\wincri\\logs</logpath>');
    expect(xml).toMatch(
      /<log mode="roll-by-size">\s*<sizeThreshold>10240<\/sizeThreshold>\s*<keepFiles>8<\/keepFiles>/,
    );
  });

  it('escapes XML and quotes paths with spaces or quotes', () => {
    const xml = serviceXml(
      install('--config', 'D:\\a & b\\c.json', '--depends-on', 'docker', '--depends-on', 'hns').options,
    );
    expect(xml).toContain('--config "D:\\a &amp; b\\c.json"</arguments>');
    expect(xml).toContain('<depend>docker</depend>\n  <depend>hns</depend>');
  });

  it('makes the kubelet depend on wincri, keeping the dependencies it is told of, before the start', () => {
    const plan = installPlan(
      install('--kubelet-service', 'kubelet', '--kubelet-depends-on', 'docker').options,
    );
    expect(plan.commands.at(-2)).toEqual(['sc.exe', 'config', 'kubelet', 'depend=', 'docker/wincri']);
    expect(plan.commands.at(-1)?.[1]).toBe('start');
  });

  it('needs --winsw, and install or uninstall', () => {
    expect(() => parseServiceCommand(['install'], NODE)).toThrow(/--winsw FILE is required/);
    expect(() => parseServiceCommand(['restart'], NODE)).toThrow(/say install or uninstall/);
  });

  it('uninstall stops, then removes', () => {
    expect(
      uninstallPlan(parseServiceCommand(['uninstall', '--install-dir', 'D:\\w'], NODE).options).commands,
    ).toEqual([
      ['D:\\w\\wincri-service.exe', 'stop'],
      ['D:\\w\\wincri-service.exe', 'uninstall'],
    ]);
  });

  it('--dry-run prints the file and the commands on any OS; without it, only Windows runs them', async () => {
    const printed = await runServiceCommand({ ...install(), dryRun: true }, 'linux');
    expect(printed).toContain('# write C:\\Program Files\\wincri\\wincri-service.xml\n<service>');
    expect(printed).toContain('"C:\\Program Files\\wincri\\wincri-service.exe" install');
    await expect(runServiceCommand(install(), 'linux')).rejects.toThrow(/packaging\/systemd/);
  });
});
