// `tailroom install`: put a built checkout where an admin expects it (FHS) — code in
// /opt/tailroom, config in /etc/tailroom, data in /var/lib/tailroom — with the systemd
// units, the logrotate file and the sysctl drop-in beside the system's own. `--root`
// stages the same tree under another directory (packaging, the tests); only a real
// install (`--root /`) creates the user and reloads anything.

import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { checkoutRoot, loadConfig } from '../config.js';
import { maxForks, serviceLimits } from '../launch/websocketd.js';
import { UsageError } from './roomarg.js';

type InstallArgs = InstallPlan;

/** The paths the shipped units and logrotate file name; anything else is substituted. */
export const FHS = { prefix: '/opt/tailroom', etc: '/etc/tailroom', var: '/var/lib/tailroom', user: 'tailroom' } as const;

/** What is copied from the checkout: the build, static files, and the files admins read. */
const CODE = ['dist', 'htdocs', 'conf', 'systemd', 'logrotate', 'README.md', 'package.json'];

export interface InstallPlan {
  /** / for a real install, else the directory a tree is staged under. */
  root: string;
  prefix: string;
  etc: string;
  var: string;
  user: string;
  bin: string;
  /** server.max_forks as the installed config has it: sizes the unit's MemoryMax and TasksMax. */
  forks?: number;
}

/** A shipped file with the FHS paths and user replaced by the ones being installed to. */
export function substitute(text: string, p: InstallPlan): string {
  let out = text.replaceAll(FHS.prefix, p.prefix).replaceAll(FHS.etc, p.etc).replaceAll(FHS.var, p.var);
  if (p.forks !== undefined) {
    const { memoryMax, tasksMax } = serviceLimits(p.forks);
    out = out.replace(/^MemoryMax=.*$/m, `MemoryMax=${memoryMax}`).replace(/^TasksMax=.*$/m, `TasksMax=${tasksMax}`);
  }
  if (p.user !== FHS.user) out = out.replace(/^(User|Group)=tailroom$/gm, `$1=${p.user}`).replace(/^(\s*su) tailroom tailroom$/gm, `$1 ${p.user} ${p.user}`);
  // StateDirectory= only names directories under /var/lib; elsewhere ReadWritePaths= does it.
  if (p.var !== FHS.var) out = out.replace(/^StateDirectory(Mode)?=.*\n/gm, '');
  return out;
}

/** chat.ini for /etc: the shipped one, with data_dir pointing at the data directory. */
export function installedConfig(shipped: string, dataDir: string): string {
  const line = `data_dir = ${dataDir}`;
  if (/^;?data_dir =.*$/m.test(shipped)) return shipped.replace(/^;?data_dir =.*$/m, line);
  return shipped.replace(/^\[server\]$/m, `[server]\n${line}`);
}

/** The command admins and units run: node and the installed CLI, config from /etc. */
export function launcher(p: InstallPlan, node = process.execPath): string {
  return [
    '#!/bin/sh',
    `# Installed by \`tailroom install\`: the installed CLI, with its config in ${p.etc}.`,
    `: "\${TAILROOM_CONF:=${p.etc}/chat.ini}"`,
    'export TAILROOM_CONF',
    `exec ${node} ${p.prefix}/dist/tailroom.mjs "$@"`,
    '',
  ].join('\n');
}

function userExists(user: string): boolean {
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ids(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
  return { uid, gid };
}

/** Install the checkout `src` as `p` says; `say` reports each step as it happens. */
export function install(src: string, p: InstallPlan, say: (line: string) => void): void {
  const real = resolve(p.root) === '/';
  const at = (path: string) => join(p.root, path);
  if (resolve(src) === resolve(at(p.prefix))) throw new Error(`${src} is the installed copy already: run install from a checkout`);
  for (const f of ['dist/tailroom.mjs', 'dist/room.cjs', 'dist/room.bundle.cjs', 'dist/cgi']) {
    if (!existsSync(join(src, f))) throw new Error(`${f} is missing in ${src}: run \`npm run build\` first`);
  }

  // Code: replaced whole, so a file removed upstream does not linger.
  const prefix = at(p.prefix);
  mkdirSync(prefix, { recursive: true });
  for (const item of CODE) {
    const from = join(src, item);
    if (!existsSync(from)) continue;
    rmSync(join(prefix, item), { recursive: true, force: true });
    cpSync(from, join(prefix, item), { recursive: true });
  }
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  writeFileSync(join(prefix, 'bin', 'tailroom'), launcher(p));
  chmodSync(join(prefix, 'bin', 'tailroom'), 0o755);
  say(`code       ${prefix}`);

  // Config: an admin's edits are never overwritten.
  const etc = at(p.etc);
  mkdirSync(etc, { recursive: true });
  const ini = join(etc, 'chat.ini');
  if (existsSync(ini)) {
    say(`config     ${ini} (kept; the shipped one is ${p.prefix}/conf/chat.ini)`);
  } else {
    writeFileSync(ini, installedConfig(readFileSync(join(src, 'conf', 'chat.ini'), 'utf8'), p.var), { mode: 0o644 });
    say(`config     ${ini}`);
  }

  // The user, before the data dir it owns. Only on a real install.
  if (real && !userExists(p.user)) {
    const sysusers = join(src, 'systemd', 'tailroom.sysusers');
    if (p.user === FHS.user && existsSync('/usr/bin/systemd-sysusers')) {
      mkdirSync('/etc/sysusers.d', { recursive: true });
      writeFileSync('/etc/sysusers.d/tailroom.conf', substitute(readFileSync(sysusers, 'utf8'), p));
      execFileSync('systemd-sysusers', ['/etc/sysusers.d/tailroom.conf'], { stdio: 'inherit' });
    } else {
      execFileSync('useradd', ['--system', '--user-group', '--home-dir', p.var, '--no-create-home', '--shell', '/usr/sbin/nologin', p.user], {
        stdio: 'inherit',
      });
    }
    say(`user       ${p.user} (system user)`);
  }

  const data = at(p.var);
  for (const dir of ['', 'rooms', 'users', 'sessions']) mkdirSync(join(data, dir), { recursive: true, mode: 0o750 });
  if (real && userExists(p.user)) {
    const { uid, gid } = ids(p.user);
    for (const dir of ['', 'rooms', 'users', 'sessions']) chownSync(join(data, dir), uid, gid);
  }
  say(`data       ${data}`);

  // System integration: units, logrotate, sysctl.
  const placed: [string, string][] = [
    ['systemd/tailroom.service', '/etc/systemd/system/tailroom.service'],
    ['systemd/tailroom-stun.service', '/etc/systemd/system/tailroom-stun.service'],
    ['systemd/tailroom-prune.service', '/etc/systemd/system/tailroom-prune.service'],
    ['systemd/tailroom-prune.timer', '/etc/systemd/system/tailroom-prune.timer'],
    ['systemd/60-tailroom-inotify.conf', '/etc/sysctl.d/60-tailroom-inotify.conf'],
    ['logrotate/tailroom', '/etc/logrotate.d/tailroom'],
  ];
  for (const [from, to] of placed) {
    mkdirSync(dirname(at(to)), { recursive: true });
    writeFileSync(at(to), substitute(readFileSync(join(src, from), 'utf8'), p), { mode: 0o644 });
    say(`system     ${at(to)}`);
  }
  const link = at(p.bin);
  mkdirSync(dirname(link), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(join(p.prefix, 'bin', 'tailroom'), link);
  say(`command    ${link} -> ${p.prefix}/bin/tailroom`);

  if (real) {
    // The websocketd that limits message size: built from Debian's source with our patch, or
    // the .deb an earlier build left in build/websocketd/ (bin/build-websocketd).
    try {
      execFileSync(join(src, 'bin', 'build-websocketd'), { stdio: 'inherit' });
      say('websocketd with --maxmessagebytes');
    } catch {
      say('WARNING    websocketd has no message size limit (bin/build-websocketd failed): see README, Security');
    }
    try {
      execFileSync('sysctl', ['-q', '-p', '/etc/sysctl.d/60-tailroom-inotify.conf'], { stdio: 'ignore' });
    } catch {
      say('note       could not apply the sysctl now (a container?); it applies at boot');
    }
    if (existsSync('/run/systemd/system')) execFileSync('systemctl', ['daemon-reload'], { stdio: 'inherit' });
  }
}

export const installVerb: CommandModule<object, InstallArgs> = {
  command: 'install',
  describe: 'install this build: code in /opt/tailroom, config in /etc/tailroom, data in /var/lib/tailroom, systemd units, logrotate',
  builder: (y: Argv) =>
    y
      .option('root', { type: 'string', default: '/', describe: 'stage the whole tree under this directory (packaging); / = a real install' })
      .option('prefix', { type: 'string', default: FHS.prefix, describe: 'where the code goes' })
      .option('etc', { type: 'string', default: FHS.etc, describe: 'where chat.ini goes' })
      .option('var', { type: 'string', default: FHS.var, describe: 'the data directory' })
      .option('user', { type: 'string', default: FHS.user, describe: 'the system user the units run as' })
      .option('bin', { type: 'string', default: '/usr/local/bin/tailroom', describe: 'a link to the command, on PATH' }) as Argv<InstallArgs>,
  handler: (args: ArgumentsCamelCase<InstallArgs>) => {
    for (const k of ['prefix', 'etc', 'var', 'bin'] as const) {
      if (!isAbsolute(args[k])) throw new UsageError(`--${k} wants an absolute path`);
    }
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(args.user)) throw new UsageError('--user wants a system user name');
    const plan: InstallPlan = { root: resolve(args.root), prefix: args.prefix, etc: args.etc, var: args.var, user: args.user, bin: args.bin };
    const real = plan.root === '/';
    if (real && process.getuid?.() !== 0) throw new UsageError('a real install needs root (or stage one with --root DIR)');
    // The limits follow the config the service will run with: the admin's, if there is one.
    const etcIni = join(plan.root, plan.etc, 'chat.ini');
    plan.forks = maxForks(loadConfig({ confPath: existsSync(etcIni) ? etcIni : join(checkoutRoot(), 'conf', 'chat.ini'), env: {} }));
    install(checkoutRoot(), plan, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(
      real
        ? `\nnext: edit ${plan.etc}/chat.ini, then\n  systemctl enable --now tailroom tailroom-stun tailroom-prune.timer\n  journalctl -u tailroom -f\n`
        : `\nstaged under ${plan.root}; paths inside the files are the final ones (${plan.prefix}, ${plan.etc}, ${plan.var})\n`,
    );
  },
};
