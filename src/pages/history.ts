// The history archive. Without ?room: every room's archive (current log and rotated
// segments) with size and last change, newest first, empty ones hidden. With ?room: that
// room's events, newest page first, older pages by cursor (?before=), searchable (?q=).

import type { Config } from '../config.js';
import { accessForListing, provedName, roomAccess } from '../access.js';
import { identify } from '../identity.js';
import { isEventId, PRESENCE_EVENTS } from '../shared/protocol.js';
import { type FoldedEvent, foldLifecycle, isBlanked } from '../shared/lifecycle.js';
import { defaultColor } from '../shared/colors.js';
import { describe } from '../shared/describe.js';
import { quoteOf } from '../shared/quote.js';
import { type Cursor, type HistoryPage, formatCursor, locateEvent, parseCursor, readPage } from '../store/archive.js';
import { takeSearchSlot } from '../store/searchslots.js';
import { type Segment, isEmptySegment, listArchive, listSegments } from '../store/segments.js';
import { clockTime, dateTime, dayHeading, formatBytes, isoDay, plural } from '../shared/format.js';
import { type PageContext, type PageHandler, type PageRequest, HttpError, allowMethods, param, requestedRoom } from './http.js';
import { page } from './layout.js';
import { pageAsked, paginate } from './paginate.js';
import { privateMessage, refusalMessage } from './refusals.js';
import { ROOMS_PER_PAGE, roomHref } from './rooms.js';
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
  /** The event's id: the item's anchor (#id), which replies and the chat page link to. */
  id?: string;
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
  /** A reply: its message's first line (when on this page) and where that message is. */
  reply?: { quote?: string; href: string };
}

type Entry = { event: ItemView } | { group: { summary: string; items: ItemView[] } };

/** What a reply quotes: its message's first line, from the same page. */
type Quotes = (id: string) => { quote?: string; href: string };

function itemOf(e: FoldedEvent, format: (text: string) => string, quotes?: Quotes): ItemView {
  const base = { id: typeof e.id === 'string' ? e.id : undefined, iso: e.t, time: clockTime(new Date(e.t)), cls: e.type };
  const d = describe(e);
  switch (d.kind) {
    case 'msg': {
      const from = { from: d.from, color: d.color ?? defaultColor(d.from) };
      if (d.deleted) return { ...base, ...from, cls: 'msg deleted', note: 'message deleted' };
      // Ciphertext (an end-to-end room): only the chat page with the passphrase reads it.
      if (d.sealed) return { ...base, ...from, cls: 'msg e2e', note: d.text };
      const edited = d.edited ? `sent ${dateTime(new Date(e.t))}, edited ${dateTime(new Date(d.edited))}` : undefined;
      const reply = e.type === 'msg' && typeof e.reply_to === 'string' && quotes ? quotes(e.reply_to) : undefined;
      return { ...base, ...from, html: format(d.text), edited, reply };
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
function fold(events: FoldedEvent[], format: (text: string) => string, quotes: Quotes): Entry[] {
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
      out.push({ event: itemOf(e, format, quotes) });
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
  // The renderer is for a room's page only: the archive index never loads it.
  const { formatter } = await import('./formatted.js');
  const room = requestedRoom(raw);
  const me = identify(cfg, d, req);
  // The handler's rule: a log is read only for whoever may enter the room.
  const access = roomAccess(d, room, me);
  if (access.refusal === 'private') throw new HttpError(403, privateMessage(provedName(d, me)));
  if (access.refusal) throw new HttpError(403, refusalMessage(access.refusal));
  const beforeRaw = param(req.query, 'before');
  let before = beforeRaw === undefined ? undefined : parseCursor(beforeRaw);
  if (beforeRaw !== undefined && !before) throw new HttpError(400, 'That page marker (?before=) is malformed.');
  const q = (param(req.query, 'q') ?? '').trim();
  const at = param(req.query, 'at');
  if (at !== undefined && !isEventId(at)) throw new HttpError(400, 'That message id (?at=) is malformed.');
  if (at !== undefined && (beforeRaw !== undefined || q)) throw new HttpError(400, 'A page at one message (?at=) goes with neither ?before= nor a search.');
  if ([...q].length > MAX_QUERY_CHARS) throw new HttpError(400, `Searches are at most ${MAX_QUERY_CHARS} characters.`);
  const open = param(req.query, 'joins') === 'open';

  const segments = listSegments(d, room);
  if (segments.length === 0 && cfg.rooms[room] === undefined) throw new HttpError(404, `There is no room called “${room}” with a history.`);
  const pageSize = Math.min(1000, Math.max(1, cfg.chat.history_page_size));
  if (at !== undefined) before = await pageAt(segments, at, pageSize, searchBudget(cfg));
  const search = q ? compileSearch(q) : undefined;
  // A search may read history_search_mb: a few at once keep the CPU for the chat.
  const release = search ? takeSearchSlot(d, cfg.chat.max_concurrent_searches) : undefined;
  if (search && !release) throw new HttpError(503, 'Too many searches right now, try again in a moment.', { 'Retry-After': '5' });
  let result: HistoryPage;
  try {
    result = await readPage(segments, {
      before,
      pageSize,
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
  // Each message as it stands now: the edits and deletes on this page folded into it.
  const folded = foldLifecycle(result.events);
  const format = await formatter(
    req,
    search?.re,
    folded.flatMap((e) => ('text' in e && typeof e.text === 'string' ? [e.text] : [])),
  );
  const quotes = quotesOn(folded, room);
  const days = byDay(folded).map((day) => ({ heading: day.heading, iso: day.iso, entries: fold(day.events, format, quotes) }));
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

/** The page whose newest lines are event `at` and about half a page said after it. */
async function pageAt(segments: Segment[], at: string, pageSize: number, budget: number): Promise<Cursor> {
  const r = await locateEvent(segments, at, Math.floor(pageSize / 2), budget);
  if ('cursor' in r) return r.cursor;
  if (r.missing === 'too_far') {
    throw new HttpError(
      404,
      `That message is further back than one look reads (${formatBytes(budget)}, chat.history_search_mb): browse older pages to find it.`,
    );
  }
  throw new HttpError(404, "That message is not in this room's archive (deleted with its log, or never there).");
}

/** A reply links to its message: on this page by its anchor, else the page at it. */
function quotesOn(events: FoldedEvent[], room: string): Quotes {
  const here = new Map<string, FoldedEvent>();
  for (const e of events) if (e.type === 'msg') here.set(e.id, e);
  return (id) => {
    const m = here.get(id);
    if (m?.type !== 'msg') return { href: `${href({ room, at: id })}#${encodeURIComponent(id)}` };
    return { quote: m.deleted ? undefined : m.text === undefined ? 'encrypted message' : quoteOf(m.text), href: `#${encodeURIComponent(id)}` };
  };
}

export const historyPage: PageHandler = async (req, ctx) => {
  allowMethods(req, 'GET');
  const room = param(req.query, 'room');
  return room === undefined ? archiveIndex(req, ctx) : roomHistory(req, ctx, room);
};
