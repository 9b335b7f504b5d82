// Every name that becomes part of a path passes through here first (docs/design.md).

export const MAX_ROOM_LENGTH = 64;
export const MAX_USER_LENGTH = 32;

export class NameError extends Error {}

// No separators, no control characters (C0, DEL, C1), no NUL, nothing that a shell
// user would have to quote to `rm` (quotes, spaces at the ends) and no leading dot
// (hidden files are ours: locks, tombstones).
const FORBIDDEN = /[/\\\p{Cc}"'`<>|:*?]/u;
// Format characters (category Cf: zero-width space and joiners, bidi overrides and
// isolates, soft hyphen, BOM, tag characters) are invisible or reorder what is shown:
// `alice` plus a zero-width space would look like alice, and a right-to-left override
// makes a name read backwards. Line and paragraph separators break a listing's lines.
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;

const hex = (c: string) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Every check runs on the NFC form, and that form is what is returned: the one that becomes the path. */
function check(kind: string, raw: string, max: number): string {
  const name = raw.normalize('NFC');
  if (name.length === 0) throw new NameError(`${kind} name is empty`);
  if ([...name].length > max) throw new NameError(`${kind} name is longer than ${max} characters`);
  if (name.startsWith('.')) throw new NameError(`${kind} name may not start with a dot`);
  if (name.includes('..')) throw new NameError(`${kind} name may not contain ".."`);
  if (FORBIDDEN.test(name)) throw new NameError(`${kind} name has a forbidden character`);
  const invisible = INVISIBLE.exec(name);
  if (invisible) throw new NameError(`${kind} name has an invisible formatting character (${hex(invisible[0])})`);
  if (name !== name.trim()) throw new NameError(`${kind} name may not start or end with a space`);
  if (Buffer.byteLength(name) > 200) throw new NameError(`${kind} name is too long`);
  return name;
}

/** Room names: `lobby`, `dev-ops`, `café`. Case is kept: rooms/Lobby.log is another room. */
export function validateRoom(raw: string): string {
  return check('room', raw, MAX_ROOM_LENGTH);
}

/** User names: also no spaces inside, so `bob: hi` and `/msg bob hi` stay unambiguous. */
export function validateUserName(raw: string): string {
  const name = check('user', raw, MAX_USER_LENGTH);
  if (/\s/u.test(name)) throw new NameError('user name may not contain spaces');
  return name;
}

/** Session ids: 32 random bytes in base64url, exactly 43 characters. */
export function validateSessionId(raw: string): string {
  if (!/^[A-Za-z0-9_-]{43}$/.test(raw)) throw new NameError('malformed session id');
  return raw;
}

export function isValid(validate: (s: string) => string, raw: string): boolean {
  try {
    validate(raw);
    return true;
  } catch {
    return false;
  }
}

/** The room is the last segment of a raw (still URL-encoded) path, decoded once: `/lobby`, `/chat/caf%C3%A9`. */
export function roomFromPath(pathInfo: string): string {
  const segment = (pathInfo.split('?', 1)[0] ?? '').replace(/\/+$/, '').split('/').pop() ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new NameError('room name is not valid URL encoding');
  }
  return validateRoom(decoded);
}
