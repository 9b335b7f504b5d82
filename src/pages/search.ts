// Full-text search of the archive: case-insensitive, in message text (msg, /me, announce)
// and topics.
// A regex on the raw JSON line rejects most lines before they are parsed; the match is
// then confirmed on the text itself, which is also where it is highlighted.

import type { RoomEvent } from '../shared/protocol.js';
import type { Filter } from '../store/archive.js';

export const MAX_QUERY_CHARS = 200;

export interface Search {
  q: string;
  filter: Filter;
  /** Global, for highlighting; use with matchAll/replace only. */
  re: RegExp;
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

export function textOf(e: RoomEvent): string | undefined {
  return e.type === 'msg' || e.type === 'me' || e.type === 'announce' || e.type === 'topic' ? e.text : undefined;
}

export function compileSearch(q: string): Search {
  // In the stored line the text is JSON-escaped: look for it the way it is stored.
  const stored = JSON.stringify(q).slice(1, -1);
  const onLine = new RegExp(escapeRegex(stored), 'iu');
  const onText = new RegExp(escapeRegex(q), 'iu');
  return {
    q,
    re: new RegExp(escapeRegex(q), 'giu'),
    filter: {
      line: (line) => onLine.test(line),
      event: (e) => {
        const text = textOf(e);
        return text !== undefined && onText.test(text);
      },
    },
  };
}

export interface TextPart {
  text: string;
  hit: boolean;
}

/** The text cut into plain and matching parts; the template escapes each and marks hits. */
export function highlight(text: string, re: RegExp | undefined): TextPart[] {
  if (!re) return [{ text, hit: false }];
  const parts: TextPart[] = [];
  let at = 0;
  for (const m of text.matchAll(re)) {
    if (m[0].length === 0) continue;
    if (m.index > at) parts.push({ text: text.slice(at, m.index), hit: false });
    parts.push({ text: m[0], hit: true });
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), hit: false });
  return parts;
}
