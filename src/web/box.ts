// The e2e box {v, iv, ct} (src/shared/protocol.ts E2eBox), made and opened in the page:
// AES-GCM with a fresh 12-byte IV each time, the additional data binding what the box is
// for. End-to-end whispers (e2e.ts) and end-to-end rooms (roomkey.ts) differ only in how
// they come by the key and what they bind.

import type { E2eBox } from '../shared/protocol.js';

const utf8 = new TextEncoder();

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function sealBox(key: CryptoKey, bound: string, text: string): Promise<E2eBox> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8.encode(bound) }, key, utf8.encode(text)));
  return { v: 1, iv: toBase64(iv), ct: toBase64(ct) };
}

/** The text in `box`; throws when it was altered, bound to something else, or sealed with another key. */
export async function openBox(key: CryptoKey, bound: string, box: E2eBox): Promise<string> {
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64(box.iv), additionalData: utf8.encode(bound) }, key, fromBase64(box.ct));
  return new TextDecoder('utf-8', { fatal: true }).decode(plain);
}
