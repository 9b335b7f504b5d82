// What a reply shows of the message it answers: one line, short. Shared by the chat page
// and the history pages, so both quote alike.

/** Characters of a quoted line; longer ones are cut with "...". */
export const QUOTE_CHARS = 80;

/** The first line of `text` that says something (a code fence alone says nothing), cut short. */
export function quoteOf(text: string): string {
  const line =
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !/^(`{3,}|~{3,})\S*$/.test(l)) ?? '';
  const chars = [...line];
  return chars.length > QUOTE_CHARS ? `${chars.slice(0, QUOTE_CHARS - 3).join('')}...` : line;
}
