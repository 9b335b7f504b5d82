// Configuration: one table of settings with defaults, read once at each entry point
// from conf/chat.ini (INI, like the original system's), then overridden by CLI flags.
// Handlers and pages are spawned by websocketd, so they find the file and the
// overrides in the environment (TAILROOM_CONF, TAILROOM_SET), passed with --passenv.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseIni } from 'ini';

type Kind = 'string' | 'int' | 'bool' | 'enum';

/** The INI sections that hold settings ([rooms] holds room descriptions). */
export type Section = 'server' | 'chat' | 'files' | 'stun';

export interface SettingSpec {
  section: Section;
  key: string;
  kind: Kind;
  default: string | number | boolean;
  values?: readonly string[];
  doc: string;
}

/** Every setting, its default and why it exists. conf/chat.ini documents the same list. */
export const SETTINGS = [
  { section: 'server', key: 'host', kind: 'string', default: '127.0.0.1', doc: 'address websocketd listens on' },
  { section: 'server', key: 'port', kind: 'int', default: 8089, doc: 'port for chat, pages and static files' },
  { section: 'server', key: 'data_dir', kind: 'string', default: '', doc: 'where rooms/ users/ sessions/ live; empty = the checkout' },
  {
    section: 'server',
    key: 'max_forks',
    kind: 'int',
    default: 0,
    doc: 'most processes (connections + page views) websocketd runs at once; past it, HTTP 429; 0 = sized for this machine: half its memory at 10 MB a process',
  },
  {
    section: 'server',
    key: 'max_ws_message_bytes',
    kind: 'int',
    default: 0,
    doc: 'largest WebSocket message websocketd reads (the patched build: bin/build-websocketd); 0 = twice the larger of chat.max_message_bytes and chat.max_signal_bytes, plus 64 KiB',
  },
  { section: 'server', key: 'origin', kind: 'string', default: '', doc: 'allowed browser origins (host[:port], comma separated); empty = any' },
  { section: 'server', key: 'public_url', kind: 'string', default: '', doc: 'URL users reach the chat at, for links and messages; empty = http://host:port/' },
  {
    section: 'server',
    key: 'trusted_user_header',
    kind: 'string',
    default: '',
    doc: 'request header an SSO proxy sets to the user name (e.g. X-Remote-User); honoured only when host is loopback; empty = off',
  },
  {
    section: 'server',
    key: 'trusted_proxies',
    kind: 'string',
    default: '127.0.0.1,::1',
    doc: 'reverse proxies (addresses or CIDR ranges, comma separated) whose X-Forwarded-For names the client in the audit log',
  },
  {
    section: 'server',
    key: 'audit_log',
    kind: 'string',
    default: '',
    doc: 'file that gets one line per join and per leave (address, room, name, outcome); relative = under the data dir; empty = stderr (journald)',
  },
  { section: 'server', key: 'tls', kind: 'bool', default: false, doc: 'serve HTTPS/WSS from websocketd itself (no proxy)' },
  {
    section: 'server',
    key: 'tls_cert',
    kind: 'string',
    default: '',
    doc: 'PEM certificate for tls; empty = a self-signed pair made on first run under <data dir>/tls',
  },
  { section: 'server', key: 'tls_key', kind: 'string', default: '', doc: 'PEM private key for tls_cert' },
  { section: 'chat', key: 'history_on_join', kind: 'int', default: 20, doc: 'room events replayed to a new connection' },
  { section: 'chat', key: 'max_message_bytes', kind: 'int', default: 4096, doc: 'longest chat message in UTF-8 bytes' },
  { section: 'chat', key: 'rate_per_sec', kind: 'int', default: 5, doc: 'messages a connection may send per second, on average' },
  { section: 'chat', key: 'rate_burst', kind: 'int', default: 10, doc: 'messages a connection may send in a burst' },
  { section: 'chat', key: 'idle_timeout_sec', kind: 'int', default: 120, doc: 'drop a connection silent this long (browsers ping every 25 s); 0 = never' },
  {
    section: 'chat',
    key: 'max_connections_per_addr',
    kind: 'int',
    default: 20,
    doc: 'chat connections one client address may hold at once (X-Forwarded-For believed only from trusted_proxies); 0 = no limit',
  },
  { section: 'chat', key: 'presence_stale_ms', kind: 'int', default: 10000, doc: 'a presence lock older than this belongs to a dead process' },
  { section: 'chat', key: 'default_name', kind: 'string', default: 'Anonymous', doc: 'name of a chatter without a session' },
  { section: 'chat', key: 'history_page_size', kind: 'int', default: 100, doc: 'events on one page of the history archive' },
  {
    section: 'chat',
    key: 'history_search_mb',
    kind: 'int',
    default: 64,
    doc: 'most log megabytes one history search request reads before offering to search older',
  },
  { section: 'chat', key: 'max_concurrent_searches', kind: 'int', default: 2, doc: 'history searches running at once on a host; more get a 503' },
  { section: 'chat', key: 'max_backlog_bytes', kind: 'int', default: 2097152, doc: 'drop a client that falls this far behind in reading' },
  { section: 'chat', key: 'max_signal_bytes', kind: 'int', default: 65536, doc: 'largest WebRTC signaling payload' },
  { section: 'chat', key: 'signal_rate_per_sec', kind: 'int', default: 20, doc: 'signaling messages per second per connection' },
  { section: 'chat', key: 'signal_rate_burst', kind: 'int', default: 100, doc: 'signaling messages in a burst' },
  {
    section: 'chat',
    key: 'max_private_rooms',
    kind: 'int',
    default: 5,
    doc: 'rooms one connection may make with /private (each is files on disk); 0 = /private is off',
  },
  { section: 'chat', key: 'max_inbox_bytes', kind: 'int', default: 1048576, doc: 'unread whisper and signal bytes one chatter may hold (inbox_full past it)' },
  { section: 'chat', key: 'edit_window_min', kind: 'int', default: 0, doc: 'minutes after sending that its author may still edit a message; 0 = always' },
  {
    section: 'chat',
    key: 'read_coalesce_ms',
    kind: 'int',
    default: 3000,
    doc: "a chatter's read marker is stored and shown to the others at most this often (the latest wins)",
  },
  {
    section: 'chat',
    key: 'edit_lookback_mb',
    kind: 'int',
    default: 64,
    doc: 'most log megabytes an edit or delete reads back to find its message; older ones get no_such_message (tailroom delete has no bound)',
  },
  { section: 'chat', key: 'inbox_rotate_bytes', kind: 'int', default: 262144, doc: 'a chatter replaces its inbox with an empty one after reading this much' },
  {
    section: 'chat',
    key: 'login_failures_per_name',
    kind: 'int',
    default: 10,
    doc: 'wrong passwords for one registered name (or one room, from one address) in login_window_min before further tries wait; 0 = no limit',
  },
  {
    section: 'chat',
    key: 'login_failures_per_addr',
    kind: 'int',
    default: 30,
    doc: 'wrong passwords (names and rooms) from one client address in login_window_min; 0 = no limit',
  },
  { section: 'chat', key: 'login_window_min', kind: 'int', default: 15, doc: 'minutes a wrong password counts against its name and address' },
  { section: 'files', key: 'watch', kind: 'enum', default: 'inotify', values: ['inotify', 'poll'], doc: 'inotify, or poll for network filesystems' },
  { section: 'files', key: 'poll_interval_ms', kind: 'int', default: 200, doc: 'how often a polling follower looks at a file' },
  {
    section: 'files',
    key: 'coalesce_ms',
    kind: 'int',
    default: 20,
    doc: 'lines coming faster than this apart are read in batches this far apart (per 50 chatters in the room), not one wake-up each; 0 = wake for every line',
  },
  { section: 'files', key: 'shared_fs', kind: 'bool', default: false, doc: 'data dir on NFS/CephFS: lock every append' },
  { section: 'stun', key: 'enabled', kind: 'bool', default: true, doc: 'start the embedded STUN server with `tailroom start`' },
  { section: 'stun', key: 'host', kind: 'string', default: '127.0.0.1', doc: 'STUN primary address' },
  { section: 'stun', key: 'secondary_host', kind: 'string', default: '127.0.0.2', doc: 'STUN secondary address (RFC 3489 needs two)' },
  { section: 'stun', key: 'port', kind: 'int', default: 3478, doc: 'STUN UDP port' },
  { section: 'stun', key: 'turn_username', kind: 'string', default: '', doc: 'username browsers give the turn: servers in ice_servers' },
  { section: 'stun', key: 'turn_credential', kind: 'string', default: '', doc: 'password browsers give the turn: servers in ice_servers' },
  {
    section: 'stun',
    key: 'turn_secret',
    kind: 'string',
    default: '',
    doc: "coturn's static-auth-secret (use-auth-secret): each chatter gets its own short-lived TURN credentials instead of turn_username/turn_credential",
  },
  { section: 'stun', key: 'turn_ttl_sec', kind: 'int', default: 86400, doc: 'how long credentials made from turn_secret are good for' },
  {
    section: 'stun',
    key: 'ice_servers',
    kind: 'string',
    default: '',
    doc: 'ICE server URLs for browsers, comma separated; empty = stun:<host the browser used>:<port>',
  },
] as const satisfies readonly SettingSpec[];

type Spec = (typeof SETTINGS)[number];
type ValueOf<S extends Spec> = S['kind'] extends 'int' ? number : S['kind'] extends 'bool' ? boolean : string;
type SectionOf<Sec extends string> = { [S in Extract<Spec, { section: Sec }> as S['key']]: ValueOf<S> };

export interface Config {
  server: SectionOf<'server'>;
  chat: SectionOf<'chat'>;
  files: SectionOf<'files'>;
  stun: SectionOf<'stun'>;
  /** [rooms] name = description: rooms that show in the list even when empty. */
  rooms: Record<string, string>;
  /** Where the data lives, resolved to an absolute path. */
  dataDir: string;
  /** Where each setting came from: "default", the INI file, or "override". */
  sources: Record<string, string>;
  confPath: string;
}

export class ConfigError extends Error {}

/** The checkout: entry points sit one level below it (bin/, handlers/, dist/). */
export function checkoutRoot(entryFile = process.argv[1] ?? ''): string {
  return resolve(dirname(entryFile), '..');
}

function coerce(spec: SettingSpec, raw: unknown, where: string): string | number | boolean {
  const text = String(raw).trim();
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`${where}: ${spec.section}.${spec.key} must be a whole number, not "${text}"`);
      return Number(text);
    }
    case 'bool':
      if (raw === true || /^(true|yes|on|1)$/i.test(text)) return true;
      if (raw === false || /^(false|no|off|0)$/i.test(text)) return false;
      throw new ConfigError(`${where}: ${spec.section}.${spec.key} must be true or false, not "${text}"`);
    case 'enum':
      if (!spec.values?.includes(text)) {
        throw new ConfigError(`${where}: ${spec.section}.${spec.key} must be one of ${spec.values?.join(', ')}`);
      }
      return text;
    default:
      return text;
  }
}

export interface LoadOptions {
  /** Path of chat.ini; missing file = all defaults. */
  confPath?: string;
  /** "section.key" → value, e.g. from CLI flags; wins over the file. */
  overrides?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  root?: string;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const root = opts.root ?? checkoutRoot();
  const confPath = resolve(opts.confPath ?? env.TAILROOM_CONF ?? join(root, 'conf', 'chat.ini'));
  let envOverrides: Record<string, unknown> = {};
  if (env.TAILROOM_SET) {
    try {
      envOverrides = JSON.parse(env.TAILROOM_SET) as Record<string, unknown>;
    } catch {
      throw new ConfigError('TAILROOM_SET is not a JSON object');
    }
  }
  const overrides = { ...envOverrides, ...(opts.overrides ?? {}) };

  let ini: Record<string, Record<string, unknown>> = {};
  try {
    ini = parseIni(readFileSync(confPath, 'utf8')) as Record<string, Record<string, unknown>>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read ${confPath}: ${(e as Error).message}`);
  }

  const out: Record<Section, Record<string, unknown>> = { server: {}, chat: {}, files: {}, stun: {} };
  const sources: Record<string, string> = {};
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const name = `${spec.section}.${spec.key}`;
    let value: unknown = spec.default;
    sources[name] = 'default';
    const fromFile = ini[spec.section]?.[spec.key];
    if (fromFile !== undefined) {
      value = coerce(spec, fromFile, confPath);
      sources[name] = confPath;
    }
    if (overrides[name] !== undefined) {
      value = coerce(spec, overrides[name], 'override');
      sources[name] = 'override';
    }
    out[spec.section][spec.key] = value;
  }
  for (const name of Object.keys(overrides)) {
    if (!(name in sources)) throw new ConfigError(`unknown setting "${name}"`);
  }
  const rooms: Record<string, string> = {};
  for (const [room, description] of Object.entries(ini.rooms ?? {})) rooms[room] = String(description);

  const configured = String(out.server.data_dir);
  const dataDir = configured === '' ? dirname(dirname(confPath)) : isAbsolute(configured) ? configured : resolve(dirname(confPath), '..', configured);
  return { ...(out as unknown as Omit<Config, 'rooms' | 'dataDir' | 'sources' | 'confPath'>), rooms, dataDir, sources, confPath };
}
