// The history archive. Without ?room: every room's archive (current log and rotated
// segments) with size and last change, newest first, empty ones hidden. With ?room: that
// room's events, newest page first, older pages by cursor (?before=), searchable (?q=).

import type { Config } from '../config.js';
import { accessForListing, provedName, roomAccess } from '../access.js';
import { identify } from '../identity.js';
import { PRESENCE_EVENTS } from '../shared/protocol.js';
import { type FoldedEvent, foldLifecycle, isBlanked } from '../shared/lifecycle.js';
import { defaultColor } from '../shared/colors.js';
import { describe } from '../shared/describe.js';
import { type HistoryPage, formatCursor, parseCursor, readPage } from '../store/archive.js';
import { takeSearchSlot } from '../store/searchslots.js';
import { type Segment, isEmptySegment, listArchive, listSegments } from '../store/segments.js';
import { clockTime, dateTime, dayHeading, formatBytes, isoDay, plural } from '../shared/format.js';
import { type PageContext, type PageHandler, type PageRequest, HttpError, allowMethods, param, requestedRoom } from './http.js';
import { page } from './layout.js';
import { pageAsked, paginate } from './paginate.js';
import { privateMessage, refusalMessage } from './refusals.js';
import { ROOMS_PER_PAGE, roomHref } from './rooms.js';
import { formatter } from './formatted.js';
import { MAX_QUERY_CHARS, compileSearch } from './search.js';

function href(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  return `history?${q}`;
}

function segmentSize(s: Segment): string {
  return s.gz ? `${formatBytes(s.size)} (${formatBytes(s.contentSize)} unpacked)` : formatBytes(s.size);
}

// ---- the index ------------------------------------------------------------------------

function archiveIndex(req: PageRequest, { cfg, d }: PageContext) {
  const me = identify(cfg, d, req);
  const access = accessForListing(d, me);
  const pageNo = pageAsked(req.query);
  // Unlisted, private (to outsiders) and damaged rooms are never indexed.
  const all = [...listArchive(d)]
    .map(([room, segments]) => ({ room, segments: segments.filter((s) => !isEmptySegment(s)) }))
    .filter((r) => r.segments.length > 0 && access(r.room).listed)
    .map((r) => ({ ...r, newest: Math.max(...r.segments.map((s) => s.mtimeMs)) }))
    .sort((a, b) => b.newest - a.newest || (a.room < b.room ? -1 : 1));
  const shown = paginate(all, pageNo, { perPage: ROOMS_PER_PAGE, path: 'history', noun: 'rooms' });
  const rooms = shown.items.map((r) => ({
    room: r.room,
    href: href({ room: r.room }),
    size: formatBytes(r.segments.reduce((n, s) => n + s.size, 0)),
    segments: r.segments.map((s) => ({
      file: s.file,
      href: href({ room: r.room, before: s.rotated ? s.key : undefined }),
      size: segmentSize(s),
      changed: dateTime(new Date(s.mtimeMs)),
      changedIso: new Date(s.mtimeMs).toISOString(),
      current: !s.rotated,
    })),
  }));
  const view = {
    rooms,
    summary: shown.position ? `${plural(all.length, 'room')} · ${shown.position}` : undefined,
    prevHref: shown.prevHref,
    nextHref: shown.nextHref,
  };
  return page('history-index', view, { title: 'History', page: 'history-index', current: 'history', user: me });
}

// ---- one room -------------------------------------------------------------------------

interface ItemView {
  iso: string;
  time: string;
  cls: string;
  from?: string;
  color?: string;
  /** The text, formatted and escaped (src/pages/formatted.ts). */
  html?: string;
  note?: string;
  /** Shown as "(edited)"; this is its title: when it was sent and last edited. */
  edited?: string;
}

type Entry = { event: ItemView } | { group: { summary: string; items: ItemView[] } };

function itemOf(e: FoldedEvent, format: (text: string) => string): ItemView {
  const base = { iso: e.t, time: clockTime(new Date(e.t)), cls: e.type };
  const d = describe(e);
  switch (d.kind) {
    case 'msg': {
      const from = { from: d.from, color: d.color ?? defaultColor(d.from) };
      if (d.deleted) return { ...base, ...from, cls: 'msg deleted', note: 'message deleted' };
      // Ciphertext (an end-to-end room): only the chat page with the passphrase reads it.
      if (d.sealed) return { ...base, ...from, cls: 'msg e2e', note: d.text };
      const edited = d.edited ? `sent ${dateTime(new Date(e.t))}, edited ${dateTime(new Date(d.edited))}` : undefined;
      return { ...base, ...from, html: format(d.text), edited };
    }
    case 'edit':
      if (d.sealed) return { ...base, from: d.from, cls: 'edit e2e', note: d.text };
      // Its msg is on an older page: the new text is shown here, where it was written.
      return { ...base, from: d.from, html: format(d.text), edited: `edited ${dateTime(new Date(e.t))}: a message from before this page` };
    case 'me':
      return { ...base, from: d.from, html: format(d.text) };
    case 'announce':
      return { ...base, html: format(d.text) };
    case 'topic':
      // The words are what was set: a topic line without them says nothing.
      if (!d.text) return { ...base, from: d.from, note: 'cleared the topic' };
      return { ...base, from: d.from, html: `<span class="note">${d.note}:</span> ${format(d.text)}` };
    default:
      return { ...base, note: `${d.from} ${d.note}` };
  }
}

/** Runs of joins, leaves, colour and name changes fold into one line you can open. */
function fold(events: FoldedEvent[], format: (text: string) => string): Entry[] {
  const out: Entry[] = [];
  let run: ItemView[] = [];
  const flush = () => {
    if (!run.length) return;
    const shown = run.slice(0, 3).map((i) => i.note);
    const summary = shown.join(' · ') + (run.length > 3 ? ` · … ${run.length} in all` : '');
    out.push({ group: { summary, items: run } });
    run = [];
  };
  for (const e of events) {
    // A delete whose msg is on an older page: that msg is blanked on disk, and shows as deleted there.
    if (e.type === 'delete' || (e.type === 'edit' && isBlanked(e))) continue;
    if (PRESENCE_EVENTS.has(e.type)) run.push(itemOf(e, format));
    else {
      flush();
      out.push({ event: itemOf(e, format) });
    }
  }
  flush();
  return out;
}

function byDay(events: FoldedEvent[]): { heading: string; iso: string; events: FoldedEvent[] }[] {
  const days: { heading: string; iso: string; events: FoldedEvent[] }[] = [];
  for (const e of events) {
    const d = new Date(e.t);
    const iso = Number.isNaN(d.getTime()) ? 'unknown' : isoDay(d);
    let day = days.at(-1);
    if (day?.iso !== iso) {
      day = { heading: iso === 'unknown' ? 'Unknown date' : dayHeading(d), iso, events: [] };
      days.push(day);
    }
    day.events.push(e);
  }
  return days;
}

export function searchBudget(cfg: Config): number {
  return Math.max(1, cfg.chat.history_search_mb) * 1024 * 1024;
}

async function roomHistory(req: PageRequest, { cfg, d }: PageContext, raw: string) {
  const room = requestedRoom(raw);
  const me = identify(cfg, d, req);
  // The handler's rule: a log is read only for whoever may enter the room.
  const access = roomAccess(d, room, me);
  if (access.refusal === 'private') throw new HttpError(403, privateMessage(provedName(d, me)));
  if (access.refusal) throw new HttpError(403, refusalMessage(access.refusal));
  const beforeRaw = param(req.query, 'before');
  const before = beforeRaw === undefined ? undefined : parseCursor(beforeRaw);
  if (beforeRaw !== undefined && !before) throw new HttpError(400, 'That page marker (?before=) is malformed.');
  const q = (param(req.query, 'q') ?? '').trim();
  if ([...q].length > MAX_QUERY_CHARS) throw new HttpError(400, `Searches are at most ${MAX_QUERY_CHARS} characters.`);
  const open = param(req.query, 'joins') === 'open';

  const segments = listSegments(d, room);
  if (segments.length === 0 && cfg.rooms[room] === undefined) throw new HttpError(404, `There is no room called “${room}” with a history.`);
  const search = q ? compileSearch(q) : undefined;
  // A search may read history_search_mb: a few at once keep the CPU for the chat.
  const release = search ? takeSearchSlot(d, cfg.chat.max_concurrent_searches) : undefined;
  if (search && !release) throw new HttpError(503, 'Too many searches right now, try again in a moment.', { 'Retry-After': '5' });
  let result: HistoryPage;
  try {
    result = await readPage(segments, {
      before,
      pageSize: Math.min(1000, Math.max(1, cfg.chat.history_page_size)),
      budget: searchBudget(cfg),
      filter: search?.filter,
    });
  } catch (e) {
    if (e instanceof RangeError) throw new HttpError(404, 'That part of the archive is not there any more (rotated away or removed).');
    throw e;
  } finally {
    release?.();
  }

  const keep = { room, q: q || undefined, joins: open ? 'open' : undefined };
  const format = formatter(req, search?.re);
  // Each message as it stands now: the edits and deletes on this page folded into it.
  const days = byDay(foldLifecycle(result.events)).map((day) => ({ heading: day.heading, iso: day.iso, entries: fold(day.events, format) }));
  const oldest = result.events[0];
  const view = {
    room,
    q,
    open,
    days,
    chatHref: roomHref(room),
    olderHref: result.older ? href({ ...keep, before: formatCursor(result.older) }) : undefined,
    newestHref: before ? href(keep) : undefined,
    toggleHref: href({ ...keep, before: beforeRaw, joins: open ? undefined : 'open' }),
    clearHref: q ? href({ room, joins: keep.joins }) : undefined,
    count: search ? plural(result.events.length, 'match', 'matches') : undefined,
    partial: result.cut
      ? `Searched only the first ${formatBytes(result.cut.searched)} of ${result.cut.file}: a compressed segment is read from its start, and one search reads at most ${formatBytes(searchBudget(cfg))} (chat.history_search_mb); there is more.`
      : result.partial
        ? `Searched the newest ${formatBytes(searchBudget(cfg))} ${oldest ? `back to ${dateTime(new Date(oldest.t))}` : 'from here'}; there is more.`
        : undefined,
    unreadable: result.unreadable,
    atStart: !result.older && result.events.length > 0,
    segments: segments
      .filter((s) => !isEmptySegment(s))
      .map((s) => ({
        file: s.file,
        size: segmentSize(s),
        href: href({ ...keep, before: s.rotated ? s.key : undefined }),
        current: before ? before.key === s.key : !s.rotated,
      })),
  };
  return page('history', view, { title: q ? `“${q}” in ${room}` : `History of ${room}`, page: 'history', current: 'history', user: me });
}

export const historyPage: PageHandler = async (req, ctx) => {
  allowMethods(req, 'GET');
  const room = param(req.query, 'room');
  return room === undefined ? archiveIndex(req, ctx) : roomHistory(req, ctx, room);
};
