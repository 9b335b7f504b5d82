// What a message's text may hold, and how a text line shows it: the one rule, shared by
// the handler (refuses), the CLI (refuses an announcement) and the browser (may warn).

/**
 * Refused in what anyone writes: C0 but tab and newline (CR, ESC: terminal escapes),
 * DEL, C1 (all of \p{Cc} but those two), and the bidi embeddings, overrides and isolates, which reorder the text that
 * follows them (a name, a link) until the line ends. The marks U+200E/U+200F stay: they
 * steer one neutral character only, and right-to-left writing needs them.
 */
const FORBIDDEN_IN_TEXT = /[^\P{Cc}\t\n]|[\u202a-\u202e\u2066-\u2069]/u;

/** U+001B, the way the error and the text lines name a character. */
function codePoint(c: string): string {
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why this text is refused, naming its first bad character; undefined when it may be sent. */
export function textProblem(text: string): string | undefined {
  const bad = FORBIDDEN_IN_TEXT.exec(text);
  if (!bad) return undefined;
  return `${/\p{Cc}/u.test(bad[0]) ? 'control' : 'bidi control'} character ${codePoint(bad[0])} is not allowed`;
}

/** What follows a newline in a text line: a message never starts a line of its own. */
export const CONTINUATION_INDENT = '    ';

const UNSAFE_IN_LINE = new RegExp(FORBIDDEN_IN_TEXT.source, 'gu');

/**
 * Text for a terminal, from what may be an old or hand-edited log: every forbidden
 * character shown as `<U+001B>`, and every line after the first (U+2028/U+2029 count as
 * line breaks: some readers split there) indented, so none can pass for an event.
 */
export function safeLines(text: string): string {
  return text.replace(UNSAFE_IN_LINE, (c) => `<${codePoint(c)}>`).replace(/\n|\u2028|\u2029/g, `\n${CONTINUATION_INDENT}`);
}
