// `tailroom stun`: the STUN server alone (UDP, [stun] in chat.ini), for a systemd unit of
// its own or a host apart from the chat. `tailroom start` runs it beside websocketd.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { startStunServer, stunPlan } from '../launch/stun.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { UsageError } from './roomarg.js';

interface StunArgs extends CommonArgs {
  host?: string;
  'secondary-host'?: string;
  port?: number;
  verbose?: boolean;
  'stop-on-eof'?: boolean;
}

export const stun: CommandModule<object, StunArgs> = {
  command: 'stun',
  describe: 'run the STUN server alone (UDP; RFC 3489, node-stun)',
  builder: (y: Argv) =>
    withCommon(y)
      .option('host', { type: 'string', describe: 'primary IPv4 address (stun.host)' })
      .option('secondary-host', { type: 'string', describe: 'second IPv4 address (stun.secondary_host)' })
      .option('port', { alias: 'p', type: 'number', describe: 'UDP port; port + 1 is used too (stun.port)' })
      .option('verbose', { alias: 'v', type: 'boolean', describe: 'log every request' })
      .option('stop-on-eof', { type: 'boolean', describe: 'also stop when stdin closes (how `tailroom start` ties it to itself)' }) as Argv<StunArgs>,
  handler: async (args: ArgumentsCamelCase<StunArgs>) => {
    const { cfg } = configFrom(args, { 'stun.host': args.host, 'stun.secondary_host': args['secondary-host'], 'stun.port': args.port });
    let plan: ReturnType<typeof stunPlan>;
    try {
      plan = stunPlan(cfg.stun);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const log = (level: string, message: string) => {
      if (level === 'debug' && !args.verbose) return;
      if (level === 'info' && /listening on|Closing socket/.test(message)) return; // said once below
      process.stderr.write(`tailroom stun: ${level}: ${message}\n`);
    };
    // node-stun 0.1.2 builds replies with the deprecated Buffer(): say nothing of it per run.
    process.noDeprecation = true;
    const running = await startStunServer(plan, log);
    process.stdout.write(`tailroom: STUN on udp ${running.addresses[0]} (also ${running.addresses.slice(1).join(', ')})\n`);
    await new Promise<void>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve());
      if (args['stop-on-eof']) {
        process.stdin.on('data', () => undefined).once('close', () => resolve());
      }
    });
    running.close();
  },
};
