// rooms/<room>.ini: who may enter a room, its operators, its topic. Optional: a room
// without one is public. Keys at the top, no section, lists comma-separated, so an admin
// can write one by hand; the CLI and operators' commands rewrite it whole (temp file +
// rename) under a lock, so two operators' changes never undo each other.
//
// A file that does not parse as this format closes the room to everyone (fail closed:
// a typo must never open a private room) until an admin fixes it; `tailroom room show`
// says what is wrong.

import { mkdirSync, readFileSync } from 'node:fs';
import { parse as parseIni, stringify as stringifyIni } from 'ini';
import { type DataDir, roomSettingsPath } from './datadir.js';
import { writeFileAtomic } from './jsonl.js';
import { properLockfile } from './lockfile.js';
import { isValid, validateRoom, validateUserName } from './names.js';
import { isPasswordHash } from './passwords.js';

export const VISIBILITIES = ['public', 'unlisted', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const MAX_TOPIC_LENGTH = 300;

export interface RoomSettings {
  visibility: Visibility;
  /** scrypt hash of the room password; absent: no password. */
  key?: string;
  /** Registered names a private room admits. */
  members: string[];
  /** Registered names that may kick, set the topic and key, invite and delete. */
  operators: string[];
  topic?: string;
  description?: string;
  /** Every message is end-to-end encrypted. */
  e2e: boolean;
}

export interface RoomSettingsRead {
  settings: RoomSettings;
  /** Whether a file exists. */
  exists: boolean;
  /** What is wrong with the file; non-empty means the room is closed. */
  problems: string[];
}

export const PUBLIC: RoomSettings = Object.freeze({ visibility: 'public', members: [], operators: [], e2e: false }) as RoomSettings;

const KEYS = ['visibility', 'key', 'members', 'operators', 'topic', 'description', 'e2e'] as const;

/** Why a topic or description cannot be stored, or undefined: one line, bounded. */
export function topicProblem(text: string): string | undefined {
  if ([...text].length > MAX_TOPIC_LENGTH) return `at most ${MAX_TOPIC_LENGTH} characters`;
  if (/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.test(text)) return 'one line, without control characters';
  return undefined;
}

function list(value: unknown, what: string, problems: string[]): string[] {
  if (value === undefined || value === '') return [];
  if (typeof value !== 'string') {
    problems.push(`${what} must be one line of comma-separated names`);
    return [];
  }
  const names = value
    .split(',')
    .map((n) => n.trim().normalize('NFC'))
    .filter((n) => n !== '');
  for (const n of names) if (!isValid(validateUserName, n)) problems.push(`${what}: "${n.slice(0, 40)}" is not a valid user name`);
  return names.filter((n) => isValid(validateUserName, n));
}

/** Parse the text of a room's .ini. */
export function parseRoomSettings(text: string): { settings: RoomSettings; problems: string[] } {
  const problems: string[] = [];
  let raw: Record<string, unknown>;
  try {
    raw = parseIni(text) as Record<string, unknown>;
  } catch (e) {
    return { settings: { ...PUBLIC, visibility: 'private' }, problems: [`does not parse: ${(e as Error).message}`] };
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'object' && v !== null) problems.push(`[${k}]: sections are not used; put the keys at the top`);
    else if (!(KEYS as readonly string[]).includes(k)) problems.push(`unknown key "${k.slice(0, 40)}" (known: ${KEYS.join(', ')})`);
  }
  const s: RoomSettings = { ...PUBLIC, members: [], operators: [] };
  const vis = raw.visibility ?? 'public';
  if (typeof vis === 'string' && (VISIBILITIES as readonly string[]).includes(vis.trim())) s.visibility = vis.trim() as Visibility;
  else problems.push(`visibility must be one of ${VISIBILITIES.join(', ')}`);
  if (raw.key !== undefined && raw.key !== '') {
    if (isPasswordHash(raw.key)) s.key = raw.key;
    else problems.push('key must be a password hash: set it with `tailroom room set ROOM --key` or /key');
  }
  s.members = list(raw.members, 'members', problems);
  s.operators = list(raw.operators, 'operators', problems);
  for (const field of ['topic', 'description'] as const) {
    const v = raw[field];
    if (v === undefined || v === '') continue;
    const problem = typeof v === 'string' ? topicProblem(v) : 'must be text';
    if (problem) problems.push(`${field}: ${problem}`);
    else s[field] = v as string;
  }
  if (raw.e2e !== undefined && raw.e2e !== false && raw.e2e !== 'false') {
    if (raw.e2e === true || raw.e2e === 'true') s.e2e = true;
    else problems.push('e2e must be true or false');
  }
  return { settings: s, problems };
}

/** The settings of a room; for a public room without a file, one failed open. */
export function readRoomSettings(d: DataDir, room: string): RoomSettingsRead {
  let text: string;
  try {
    text = readFileSync(roomSettingsPath(d, validateRoom(room)), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { settings: PUBLIC, exists: false, problems: [] };
    return { settings: { ...PUBLIC, visibility: 'private' }, exists: true, problems: [`cannot be read: ${code ?? (e as Error).message}`] };
  }
  if (text.length > 64 * 1024) return { settings: { ...PUBLIC, visibility: 'private' }, exists: true, problems: ['is larger than 64 KiB'] };
  return { ...parseRoomSettings(text), exists: true };
}

/** The file's text for settings: only what differs from a public room. */
export function formatRoomSettings(s: RoomSettings): string {
  const out: Record<string, string | boolean> = {};
  if (s.visibility !== 'public') out.visibility = s.visibility;
  if (s.key) out.key = s.key;
  if (s.members.length) out.members = s.members.join(', ');
  if (s.operators.length) out.operators = s.operators.join(', ');
  if (s.topic) out.topic = s.topic;
  if (s.description) out.description = s.description;
  if (s.e2e) out.e2e = true;
  return stringifyIni(out, { whitespace: true });
}

export class RoomSettingsError extends Error {}

/**
 * Change a room's settings: read, change, write back whole, under the file's lock. A
 * damaged file is not rewritten (that would lose what the admin meant): the error says
 * what to fix.
 */
export async function updateRoomSettings(d: DataDir, room: string, change: (s: RoomSettings) => void): Promise<RoomSettings> {
  const path = roomSettingsPath(d, validateRoom(room));
  mkdirSync(d.rooms, { recursive: true });
  const lockfile = await properLockfile();
  const release = await lockfile.lock(path, { realpath: false, stale: 10000, retries: { retries: 100, minTimeout: 5, maxTimeout: 50 } });
  try {
    const now = readRoomSettings(d, room);
    if (now.problems.length) throw new RoomSettingsError(`${path} ${now.problems.join('; ')}`);
    const s: RoomSettings = { ...now.settings, members: [...now.settings.members], operators: [...now.settings.operators] };
    change(s);
    writeFileAtomic(path, formatRoomSettings(s), 0o644);
    return s;
  } finally {
    await release().catch(() => undefined);
  }
}
