// Emoticons: the codes people type and the small SVGs in htdocs/emoticons/ they become.

export const EMOTICONS: readonly { codes: readonly string[]; file: string; label: string }[] = [
  { codes: [':-)', ':)'], file: 'smile', label: 'smile' },
  { codes: [':-(', ':('], file: 'sad', label: 'sad' },
  { codes: [';-)', ';)'], file: 'wink', label: 'wink' },
  { codes: [':-D', ':D'], file: 'grin', label: 'grin' },
  { codes: [':-P', ':P', ':-p', ':p'], file: 'tongue', label: 'tongue out' },
  { codes: [':-O', ':O', ':-o', ':o'], file: 'surprised', label: 'surprised' },
  { codes: [":'("], file: 'cry', label: 'crying' },
  { codes: [':-|', ':|'], file: 'neutral', label: 'straight face' },
  { codes: [':-/'], file: 'confused', label: 'confused' },
  { codes: ['8-)'], file: 'cool', label: 'cool' },
  { codes: ['<3'], file: 'heart', label: 'heart' },
];

const byCode = new Map<string, { file: string; label: string }>();
for (const e of EMOTICONS) for (const c of e.codes) byCode.set(c, e);

const escaped = [...byCode.keys()].sort((a, b) => b.length - a.length).map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
/**
 * A code stands alone: after the start or a space (group 1; no lookbehind, which older
 * Safari cannot parse), before the end, a space or punctuation. The code is group 2.
 */
export const EMOTICON_PATTERN = new RegExp(`(^|\\s)(${escaped.join('|')})(?=$|\\s|[.,!?;:])`, 'g');

export function emoticon(code: string): { file: string; label: string } | undefined {
  return byCode.get(code);
}
