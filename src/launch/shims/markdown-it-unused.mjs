// Stands in, in every bundle of src/shared/markdown.ts (see bin/build.mjs), for the three
// packages markdown-it needs only for what that renderer switches off: entities (the
// entity rule, link destinations), linkify-it (linkify) and punycode.js (link
// normalisation). A third of markdown-it's size in the chat page's script, and linkify-it
// holds non-Latin-1 text the page bundles refuse. Should a rule call them after all,
// text stays as written, which is the renderer's rule anyway.
export function decodeHTMLStrict(s) {
  return s;
}
export class LinkifyIt {
  test() {
    return false;
  }
  matchAtStart() {
    return null;
  }
  match() {
    return null;
  }
}
export default { toASCII: (s) => s, toUnicode: (s) => s };
