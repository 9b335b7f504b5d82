// @name mentions on the chat page: the server lists whom a msg mentions (src/shared/mentions.ts);
// here a line that mentions me is marked, and "@bo<Tab>" completes a name anywhere in the box.

/** A msg whose `mentions` (computed by the server) holds my name. */
export function mentionsMe(m: { mentions?: unknown }, me: string): boolean {
  return me !== '' && Array.isArray(m.mentions) && m.mentions.includes(me);
}

/** Marks the line of a msg that mentions me. */
export function markMention(li: HTMLElement, m: { mentions?: unknown }, me: string): void {
  li.classList.toggle('mention', mentionsMe(m, me));
}

/**
 * "@" and a partial name just before the caret, the "@" at the start or after something
 * that is not part of a word (as the server reads mentions): where it starts, and the part typed.
 */
export function mentionBeforeCaret(value: string, caret: number): { start: number; stem: string } | undefined {
  const m = /(^|[^\p{L}\p{N}_@])@([^\s@]*)$/u.exec(value.slice(0, caret));
  if (!m) return undefined;
  const stem = m[2] ?? '';
  return { start: caret - stem.length - 1, stem };
}
