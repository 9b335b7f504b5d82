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
