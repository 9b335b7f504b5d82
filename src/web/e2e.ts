// End-to-end whispers (docs/design.md, "End-to-end whispers"): this browser's ECDH P-256
// key pair, made once and kept in IndexedDB (the private key not extractable, so no script
// can read it out, only use it), and per peer an AES-GCM key derived from the pair.
// The server relays {v, iv, ct} and never sees the text.
//
// Per pair: ECDH gives 256 shared bits, HKDF-SHA-256 (a fixed salt; info: both public
// keys, sorted, then the protocol label) makes the AES-GCM 256 key. Each whisper has a
// fresh random 12-byte IV; the additional data binds sender and recipient, so a box cannot
// be passed off as from someone else or to someone else. The fingerprint both sides can
// compare is SHA-256 of the two sorted public keys, its first 10 bytes as 5 groups of 4 hex.

import type { E2eBox, UserSummary } from '../shared/protocol.js';
import { fromBase64, openBox, sealBox, toBase64 } from './box.js';

const LABEL = 'tailroom whisper v1';
const SALT = new TextEncoder().encode('tailroom e2e whisper salt');
const DB_NAME = 'tailroom-e2e';
const STORE = 'kv';
const SELF = 'self';
/** How long a whisper from someone whose key has not reached us yet waits for a `users` list. */
const KEY_WAIT_MS = 5000;

interface StoredSelf {
  priv: CryptoKey;
  pub: string;
}

export interface E2eHooks {
  /** An info line for the message list: "bob's key changed". */
  note(text: string): void;
  /** Fingerprints changed: the user list should show them again. */
  changed(): void;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Both public keys in one order, whoever computes it. */
function sortedPair(a: string, b: string): Uint8Array<ArrayBuffer> {
  const [x, y] = a < b ? [a, b] : [b, a];
  return concat(fromBase64(x), fromBase64(y));
}

/** What a whisper's box is bound to: who sent it to whom. */
function bound(from: string, to: string): string {
  return `${LABEL}\n${from}\n${to}`;
}

/** The short fingerprint of a pair of public keys: the same on both pages. */
export async function fingerprintOf(a: string, b: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', sortedPair(a, b)));
  const hex = [...hash.slice(0, 10)].map((n) => n.toString(16).padStart(2, '0')).join('');
  return hex.match(/.{4}/g)?.join(' ') ?? hex;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function dbGet<T>(db: IDBDatabase, key: string): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const req = db.transaction(STORE).objectStore(STORE).get(key);
    req.onsuccess = () => resolve(req.result as T | undefined);
    req.onerror = () => reject(req.error);
  });
}

function dbPut(db: IDBDatabase, key: string, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

export class E2e {
  private self: StoredSelf | undefined;
  private db: IDBDatabase | undefined;
  private loading: Promise<string | undefined> | undefined;
  /** Present peers' keys, from the last `users` list. */
  private pubs = new Map<string, string>();
  /** Each peer's key as last seen (by name, in this browser profile), kept across reloads: a different one is announced. */
  private known = new Map<string, string>();
  /** AES keys and fingerprints, by peer public key. */
  private readonly derived = new Map<string, { key: Promise<CryptoKey>; fingerprint?: string }>();
  private waiting: (() => void)[] = [];
  private lists: Promise<unknown> = Promise.resolve();

  constructor(private readonly hooks: E2eHooks) {}

  /** Our public key, made on the first visit and kept; undefined where WebCrypto or IndexedDB is missing. */
  ready(): Promise<string | undefined> {
    this.loading ??= this.load().catch(() => undefined);
    return this.loading;
  }

  private async load(): Promise<string | undefined> {
    if (!crypto.subtle || typeof indexedDB === 'undefined') return undefined;
    this.db = await openDb();
    let self = await dbGet<StoredSelf>(this.db, SELF);
    if (!self?.priv || typeof self.pub !== 'string') {
      const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
      const pub = toBase64(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
      self = { priv: pair.privateKey, pub };
      await dbPut(this.db, SELF, self);
    }
    const known = await dbGet<Record<string, string>>(this.db, 'peers');
    for (const [name, pub] of Object.entries(known ?? {})) if (typeof pub === 'string') this.known.set(name, pub);
    this.self = self;
    return self.pub;
  }

  get pub(): string | undefined {
    return this.self?.pub;
  }

  /**
   * Who is here and their keys: a known peer with another key is announced. Taken once our
   * own key and the peers remembered are loaded, in the order the lists came. A peer
   * without a key is not: a page announces its key just after joining, and a terminal has none.
   */
  setUsers(users: UserSummary[], me: string): void {
    this.lists = this.lists.then(() => this.ready()).then(() => this.apply(users, me));
  }

  private apply(users: UserSummary[], me: string): void {
    this.pubs = new Map();
    let learned = false;
    for (const u of users) {
      if (u.name === me) continue;
      const before = this.known.get(u.name);
      if (typeof u.pub === 'string') {
        this.pubs.set(u.name, u.pub);
        if (before !== undefined && before !== u.pub) this.hooks.note(`${u.name}'s key changed: compare the fingerprint again before trusting whispers.`);
        if (before !== u.pub) {
          this.known.set(u.name, u.pub);
          learned = true;
        }
        if (this.self) void this.derive(u.pub).catch(() => undefined);
      }
    }
    if (learned && this.db) void dbPut(this.db, 'peers', Object.fromEntries(this.known)).catch(() => undefined);
    for (const wake of this.waiting.splice(0)) wake();
    this.hooks.changed();
  }

  /** A whisper to `name` can be sealed: both of us have keys. */
  canSeal(name: string): boolean {
    return this.self !== undefined && this.pubs.has(name);
  }

  /** The pair's fingerprint, once computed (the user list asks again on changed()). */
  fingerprint(name: string): string | undefined {
    const pub = this.pubs.get(name);
    return pub === undefined ? undefined : this.derived.get(pub)?.fingerprint;
  }

  private derive(peerPub: string): Promise<CryptoKey> {
    const self = this.self;
    if (!self) return Promise.reject(new Error('no key of our own'));
    let d = this.derived.get(peerPub);
    if (!d) {
      const key = (async () => {
        const peer = await crypto.subtle.importKey('raw', fromBase64(peerPub), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
        const bits = await crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, self.priv, 256);
        const hkdf = await crypto.subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey']);
        const info = concat(sortedPair(self.pub, peerPub), new TextEncoder().encode(LABEL));
        return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: SALT, info }, hkdf, { name: 'AES-GCM', length: 256 }, false, [
          'encrypt',
          'decrypt',
        ]);
      })();
      const entry: { key: Promise<CryptoKey>; fingerprint?: string } = { key };
      d = entry;
      this.derived.set(peerPub, entry);
      key.catch(() => undefined);
      void fingerprintOf(self.pub, peerPub).then((fp) => {
        entry.fingerprint = fp;
        this.hooks.changed();
      });
    }
    return d.key;
  }

  /** Seal `text` from `from` to `to` (present, with a key: see canSeal). */
  async seal(from: string, to: string, text: string): Promise<E2eBox> {
    const pub = this.pubs.get(to);
    if (pub === undefined) throw new Error(`${to} has no key`);
    return sealBox(await this.derive(pub), bound(from, to), text);
  }

  /**
   * Open a box between us and `peer` (the sender, or the addressee of our own echo).
   * Throws when it was altered, sealed for other names, or with another key.
   */
  async open(from: string, to: string, peer: string, box: E2eBox): Promise<string> {
    if (!(await this.ready())) throw new Error('no key of our own');
    const until = Date.now() + KEY_WAIT_MS;
    // A newcomer may whisper before its key has reached us in a `users` list.
    while (!this.pubs.has(peer) && Date.now() < until) {
      await new Promise<void>((r) => {
        this.waiting.push(r);
        setTimeout(r, Math.max(0, until - Date.now()));
      });
    }
    const pub = this.pubs.get(peer);
    if (pub === undefined) throw new Error(`no key of ${peer}`);
    return openBox(await this.derive(pub), bound(from, to), box);
  }
}
