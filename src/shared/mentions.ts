// @name mentions: which words of a message name someone. The server computes them once,
// when the message is logged, against who is present and who is registered, so every
// reader (the page's highlight and notification, the history page) agrees on them.

/** A mention is `@` then a name, at the start or after a character that is not part of a word. */
const MENTION = /(?:^|[^\p{L}\p{N}_@])@([^\s@]{1,64})/gu;
/** Punctuation that ends a sentence is not part of the name: "thanks @bob!". */
const TRAILING = /[.,:;!?)\]}'"]+$/u;

/** Most names one message may mention: a flood of @everyone-style lists notifies nobody past it. */
export const MAX_MENTIONS = 20;

/** Each candidate as written, and without its trailing punctuation, in order of appearance. */
export function mentionCandidates(text: string): string[][] {
  const out: string[][] = [];
  for (const m of text.matchAll(MENTION)) {
    const raw = (m[1] ?? '').normalize('NFC');
    const bare = raw.replace(TRAILING, '');
    out.push(bare !== raw && bare !== '' ? [raw, bare] : [raw]);
  }
  return out;
}

/** The names a text mentions, each once, among those `isName` accepts. */
export function mentionsIn(text: string, isName: (name: string) => boolean): string[] {
  if (!text.includes('@')) return [];
  const found: string[] = [];
  for (const forms of mentionCandidates(text)) {
    const name = forms.find(isName);
    if (name !== undefined && !found.includes(name)) found.push(name);
    if (found.length >= MAX_MENTIONS) break;
  }
  return found;
}
