// Flags every verb shares: where the config is and what overrides it.

import type { Argv } from 'yargs';
import { type Config, ConfigError, loadConfig } from '../config.js';

export interface CommonArgs {
  config?: string;
  set?: string[];
  'data-dir'?: string;
}

export function withCommon<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .option('config', { alias: 'c', type: 'string', describe: 'path of chat.ini (default: conf/chat.ini in the checkout, or $TAILROOM_CONF)' })
    .option('data-dir', { type: 'string', describe: 'data directory (overrides server.data_dir)' })
    .option('set', { type: 'string', array: true, describe: 'override a setting: --set chat.history_on_join=50' }) as Argv<T & CommonArgs>;
}

/** "section.key=value" flags and named flags → the overrides loadConfig() takes. */
export function overridesFrom(args: CommonArgs, named: Record<string, unknown> = {}): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const pair of args.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new ConfigError(`--set wants section.key=value, not "${pair}"`);
    o[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (args['data-dir'] !== undefined) o['server.data_dir'] = args['data-dir'];
  for (const [k, v] of Object.entries(named)) if (v !== undefined) o[k] = v;
  return o;
}

export function configFrom(args: CommonArgs, named: Record<string, unknown> = {}): { cfg: Config; overrides: Record<string, unknown> } {
  const overrides = overridesFrom(args, named);
  return { cfg: loadConfig({ confPath: args.config, overrides }), overrides };
}
