// A message's life after it is sent: `edit` and `delete` events are appended to the log
// and never rewrite it (docs/design.md, "Edit and delete"). Every reader shows the latest
// state by folding them into the `msg` they name: here, once, for the handler's text
// stream, the history pages, the CLI and the chat page alike.

import type { Body, RoomEvent } from './protocol.js';

export type MsgEvent = Extract<RoomEvent, { type: 'msg' }>;
type LifecycleEvent = Extract<RoomEvent, { type: 'edit' | 'delete' }>;

/** A `msg` as it stands now. `edited` and `deleted` are never stored: the fold sets them. */
export type FoldedMsg = MsgEvent & {
  /** When its author last changed it (the msg's own `t` stays the time it was sent). */
  edited?: string;
  deleted?: true;
};

export type FoldedEvent = Exclude<RoomEvent, { type: 'msg' }> | FoldedMsg;

/**
 * A redacted text: a delete overwrites the msg's and its edits' text with whitespace of
 * the same length (src/store/redact.ts). A chatter can send no such msg (whitespace-only
 * lines are dropped, empty edits refused), so a msg whose delete event lies outside what a
 * reader has (an older page, a replay window) still shows as deleted.
 */
export function isRedacted(text: unknown): boolean {
  return typeof text !== 'string' || text.trim() === '';
}

/**
 * A msg's or an edit's body is redacted: its text, or for ciphertext (an end-to-end room)
 * the box's `ct`, which a delete blanks the same way.
 */
export function isBlanked(e: { text?: unknown; e2e?: unknown }): boolean {
  if (typeof e.e2e === 'object' && e.e2e !== null) return isRedacted((e.e2e as { ct?: unknown }).ct);
  return isRedacted(e.text);
}

/** The body of `e` alone: its text or its box, never both (an edit may bring either). */
export function bodyOf(e: Body): Body {
  return e.e2e ? { e2e: e.e2e } : { text: e.text };
}

export function isLifecycle(e: { type: string }): e is LifecycleEvent {
  return e.type === 'edit' || e.type === 'delete';
}

/**
 * `m` after `e`, or undefined when `e` does not apply to it: another message, an edit by
 * someone but its author (a hand-edited log), anything after a delete.
 */
export function applyLifecycle(m: FoldedMsg, e: LifecycleEvent): FoldedMsg | undefined {
  if (e.ref !== m.id || m.deleted) return undefined;
  if (e.type === 'delete') return { ...m, deleted: true };
  if (e.from !== m.from || isBlanked(e)) return undefined;
  const { text: _text, e2e: _e2e, ...rest } = m;
  return { ...rest, ...bodyOf(e), edited: e.t } as FoldedMsg;
}

/** A msg as it reads on its own: a redacted one is deleted even without its delete event. */
export function asFolded(m: MsgEvent): FoldedMsg {
  return isBlanked(m) ? { ...m, deleted: true } : m;
}

/**
 * Events oldest first -> the same with every edit and delete folded into the msg it names,
 * and dropped. One whose msg is not among `events` (sent before a replay window or a
 * page) is kept: the renderer decides what an orphan shows.
 */
export function foldLifecycle(events: readonly RoomEvent[]): FoldedEvent[] {
  const fold = new LifecycleFold(Number.POSITIVE_INFINITY);
  for (const e of events) fold.push(e);
  return fold.flush();
}

/**
 * The fold for a stream too long to hold (a whole history, oldest first): an edit or
 * delete folds into its msg while that msg is among the last `window` events held back;
 * one that comes later stays an event of its own (an orphan). foldLifecycle holds all.
 */
export class LifecycleFold {
  private held: FoldedEvent[] = [];
  private readonly at = new Map<string, FoldedMsg>();

  constructor(private readonly window = 1000) {}

  /** Take one event; returns those now old enough to show, oldest first. */
  push(e: RoomEvent): FoldedEvent[] {
    if (isLifecycle(e)) {
      const m = this.at.get(e.ref);
      if (m) {
        const next = applyLifecycle(m, e) ?? m;
        this.held[this.held.indexOf(m)] = next;
        this.at.set(e.ref, next);
        return [];
      }
    }
    const f = e.type === 'msg' ? asFolded(e) : e;
    if (f.type === 'msg') this.at.set(f.id, f);
    this.held.push(f);
    return this.held.length > this.window ? this.release(this.held.length - this.window) : [];
  }

  /** What is still held, at the end. */
  flush(): FoldedEvent[] {
    return this.release(this.held.length);
  }

  private release(n: number): FoldedEvent[] {
    const out = this.held.splice(0, n);
    for (const e of out) if (e.type === 'msg' && this.at.get(e.id) === e) this.at.delete(e.id);
    return out;
  }
}
