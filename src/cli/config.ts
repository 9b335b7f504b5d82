// `tailroom config`: the effective settings and where each came from, like `postconf`.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { SETTINGS } from '../config.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { formatTable } from './output.js';

interface ConfigArgs extends CommonArgs {
  changed?: boolean;
  json?: boolean;
}

export const config: CommandModule<object, ConfigArgs> = {
  command: 'config',
  describe: 'print the effective settings and where each came from (default, the INI file, or an override)',
  builder: (y: Argv) =>
    withCommon(y)
      .option('changed', { alias: 'n', type: 'boolean', describe: 'only settings that differ from the default source, like postconf -n' })
      .option('json', { type: 'boolean', describe: 'one JSON object a line: {setting, value, source}' }) as Argv<ConfigArgs>,
  handler: (args: ArgumentsCamelCase<ConfigArgs>) => {
    const { cfg } = configFrom(args);
    const values = cfg as unknown as Record<string, Record<string, unknown>>;
    const rows: { setting: string; value: unknown; source: string }[] = [];
    for (const s of SETTINGS) {
      const setting = `${s.section}.${s.key}`;
      const source = cfg.sources[setting] ?? 'default';
      if (args.changed && source === 'default') continue;
      rows.push({ setting, value: values[s.section]?.[s.key], source });
    }
    if (args.json) {
      for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
      return;
    }
    process.stdout.write(`# config file: ${cfg.confPath}\n# data dir:    ${cfg.dataDir}\n`);
    const table = rows.map((r) => [`${r.setting} = ${String(r.value)}`, `# ${r.source}`]);
    if (table.length) process.stdout.write(`${formatTable(table)}\n`);
    const rooms = Object.entries(cfg.rooms);
    if (rooms.length) process.stdout.write(`${rooms.map(([r, desc]) => `rooms.${r} = ${desc}`).join('\n')}\n`);
  },
};
