// Peer-to-peer file transfer (pychat's feature): pick a chatter, offer a file; when they
// accept, it streams over a data channel of its own straight to their browser. Nothing
// passes through or stays on the server. The receiver saves it from a download link.
// The offer and its answer go in signals when there is no direct connection yet: the two
// browsers connect (and learn each other's addresses) only once the receiver accepted,
// and the connection closes when no transfer (nor anything else) needs it.
// A recorded voice or video message (src/web/recorder.ts) travels the same way, to each
// chatter present; it is accepted without asking (unless from someone ignored, or over
// MAX_MEDIA_BYTES: then it is an ordinary offer) and handed to the page to play inline.

import { formatBytes } from '../shared/format.js';
import { el, randomId } from './dom.js';
import type { MediaKind, Mesh, PeerMessage } from './mesh.js';

const CHUNK = 16 * 1024;
/** Keep the channel's send buffer between these: fast, and no "send queue is full". */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/**
 * The largest recorded message accepted without asking (the recorder stops before it):
 * two minutes of video at the recorder's bit rate, so nobody's memory fills unasked.
 */
export const MAX_MEDIA_BYTES = 24 * 1024 * 1024;
/** A page takes a recording at once: one not answered by then is given up (a client that does not take them). */
const MEDIA_ANSWER_MS = 30_000;
/** What a received recording is played as: fixed here, whatever the sender says. */
const MEDIA_TYPES: Record<MediaKind, string> = { voice: 'audio/webm', video: 'video/webm' };

interface Transfer {
  id: string;
  peer: string;
  name: string;
  size: number;
  done: number;
  state: 'offered' | 'sending' | 'receiving' | 'done' | 'declined' | 'cancelled' | 'failed';
  row: HTMLLIElement;
  status: HTMLSpanElement;
  progress: HTMLProgressElement;
  actions: HTMLSpanElement;
  channel?: RTCDataChannel;
  /** A recorded message: no row in the Files list, played inline when it arrives. */
  kind?: MediaKind;
}

interface Outgoing extends Transfer {
  file: Blob;
  /** Told how it ended (sent, declined, failed...). */
  ended?: (state: Transfer['state'], text: string) => void;
}

interface Incoming extends Transfer {
  chunks: ArrayBuffer[];
  url?: string;
}

/** A name safe to show and to offer as a download name: no paths, no control characters. */
export function cleanFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const clean = base.replace(/\p{Cc}/gu, '').trim();
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean.slice(0, 255);
}

export class Transfers {
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly incoming = new Map<string, Incoming>();

  constructor(
    private readonly list: HTMLUListElement,
    private readonly mesh: () => Mesh | undefined,
    private readonly ignores: (name: string) => boolean,
    /** A recorded message arrived (from someone not ignored). */
    private readonly media: (from: string, kind: MediaKind, blob: Blob) => void = () => undefined,
  ) {}

  offer(to: string, file: File, kind?: MediaKind, ended?: Outgoing['ended']): void {
    const mesh = this.mesh();
    const t: Outgoing = { ...this.row('out', to, cleanFileName(file.name), file.size, randomId(), kind === undefined), file, kind, ended };
    this.outgoing.set(t.id, t);
    if (!mesh?.send(to, { t: 'file-offer', id: t.id, name: t.name, size: t.size, ...(kind ? { kind } : {}) })) {
      this.finish(t, 'failed', 'not connected to the room');
      return;
    }
    this.status(t, 'waiting for them to accept');
    if (kind)
      window.setTimeout(() => {
        if (t.state !== 'offered') return;
        this.mesh()?.send(to, { t: 'file-cancel', id: t.id });
        this.finish(t, 'failed', 'no answer');
      }, MEDIA_ANSWER_MS);
    this.button(t, 'Cancel', () => this.cancel(t, true));
  }

  /** Chat-channel messages about files. */
  onMessage(from: string, m: PeerMessage): void {
    if (m.t === 'file-offer') {
      if (this.incoming.has(m.id)) return;
      if (this.ignores(from)) {
        this.mesh()?.send(from, { t: 'file-answer', id: m.id, accept: false });
        return;
      }
      const recording = m.kind !== undefined && m.size <= MAX_MEDIA_BYTES;
      const t: Incoming = { ...this.row('in', from, cleanFileName(m.name), m.size, m.id, !recording), chunks: [], ...(recording ? { kind: m.kind } : {}) };
      this.incoming.set(t.id, t);
      if (recording) {
        this.accept(t);
        return;
      }
      this.status(t, 'offered to you');
      this.button(t, 'Accept', () => this.accept(t));
      this.button(t, 'Decline', () => {
        this.mesh()?.send(from, { t: 'file-answer', id: t.id, accept: false });
        this.finish(t, 'declined', 'declined');
      });
    } else if (m.t === 'file-answer') {
      const t = this.outgoing.get(m.id);
      if (!t || t.peer !== from || t.state !== 'offered') return;
      if (m.accept) {
        this.mesh()?.hold(t.peer, t.id, true, true);
        this.send(t);
      } else this.finish(t, 'declined', 'they declined');
    } else if (m.t === 'file-cancel') {
      const t = this.outgoing.get(m.id) ?? this.incoming.get(m.id);
      if (t && t.peer === from && (t.state === 'offered' || t.state === 'sending' || t.state === 'receiving')) this.cancel(t, false);
    }
  }

  /** A data channel the other side opened: ours if it is `file:<id>` of an accepted offer. */
  onChannel(from: string, ch: RTCDataChannel): void {
    const id = /^file:([0-9a-f]{8,64})$/.exec(ch.label)?.[1];
    const t = id ? this.incoming.get(id) : undefined;
    if (!t || t.peer !== from || t.state !== 'receiving' || t.channel) {
      ch.close();
      return;
    }
    t.channel = ch;
    ch.binaryType = 'arraybuffer';
    ch.onmessage = (e) => {
      if (!(e.data instanceof ArrayBuffer) || t.state !== 'receiving') return;
      t.chunks.push(e.data);
      t.done += e.data.byteLength;
      if (t.done > t.size) {
        this.mesh()?.send(from, { t: 'file-cancel', id: t.id });
        return this.finish(t, 'failed', 'more data than offered: dropped');
      }
      this.progress(t);
      if (t.done === t.size) this.received(t);
    };
    ch.onclose = () => {
      if (t.state === 'receiving') this.finish(t, 'failed', 'the connection closed before the end');
    };
    if (t.size === 0) this.received(t);
  }

  /** Peers that left take their unfinished transfers with them. */
  peerGone(name: string): void {
    for (const t of [...this.outgoing.values(), ...this.incoming.values()]) {
      if (t.peer === name && (t.state === 'offered' || t.state === 'sending' || t.state === 'receiving')) this.finish(t, 'failed', 'they left');
    }
  }

  private accept(t: Incoming): void {
    if (t.state !== 'offered') return;
    // Held first: the sender's offer to connect is answered only for a wanted transfer.
    this.mesh()?.hold(t.peer, t.id, true);
    if (!this.mesh()?.send(t.peer, { t: 'file-answer', id: t.id, accept: true })) {
      this.finish(t, 'failed', 'not connected to the room');
      return;
    }
    t.state = 'receiving';
    this.status(t, 'receiving');
    t.actions.replaceChildren();
    this.button(t, 'Cancel', () => this.cancel(t, true));
  }

  private send(t: Outgoing): void {
    const peer = this.mesh()?.peers.get(t.peer);
    if (!peer) {
      this.finish(t, 'failed', 'no direct connection');
      return;
    }
    t.state = 'sending';
    this.status(t, 'sending');
    const ch = peer.pc.createDataChannel(`file:${t.id}`, { ordered: true });
    t.channel = ch;
    ch.binaryType = 'arraybuffer';
    ch.bufferedAmountLowThreshold = LOW_WATER;
    let reading = false;
    const pump = async () => {
      if (reading) return;
      reading = true;
      try {
        while (t.state === 'sending' && t.done < t.size && ch.readyState === 'open' && ch.bufferedAmount < HIGH_WATER) {
          const block = await t.file.slice(t.done, Math.min(t.size, t.done + 16 * CHUNK)).arrayBuffer();
          for (let at = 0; at < block.byteLength; at += CHUNK) ch.send(block.slice(at, at + CHUNK));
          t.done += block.byteLength;
          this.progress(t);
        }
      } catch (e) {
        this.finish(t, 'failed', `could not read or send the file (${(e as Error).message})`);
      } finally {
        reading = false;
      }
      if (t.state === 'sending' && t.done === t.size) this.status(t, 'sent; waiting for them to finish');
    };
    ch.onopen = () => void pump();
    ch.onbufferedamountlow = () => void pump();
    // The receiver closes the channel once it has every byte.
    ch.onclose = () => {
      if (t.state !== 'sending') return;
      if (t.done === t.size) this.finish(t, 'done', 'sent');
      else this.finish(t, 'failed', 'the connection closed before the end');
    };
  }

  private received(t: Incoming): void {
    if (t.kind) {
      const blob = new Blob(t.chunks, { type: MEDIA_TYPES[t.kind] });
      t.chunks = [];
      this.finish(t, 'done', 'received');
      this.incoming.delete(t.id); // its row was never shown: nothing to remove later
      t.channel?.close();
      this.media(t.peer, t.kind, blob);
      return;
    }
    // Always octet-stream: a file from someone else never renders as a page of this site.
    const blob = new Blob(t.chunks, { type: 'application/octet-stream' });
    t.chunks = [];
    t.url = URL.createObjectURL(blob);
    this.finish(t, 'done', 'received');
    t.actions.append(el('a', { href: t.url, download: t.name, class: 'save' }, `Save ${t.name}`));
    t.channel?.close();
  }

  private cancel(t: Transfer, tellThem: boolean): void {
    if (tellThem) this.mesh()?.send(t.peer, { t: 'file-cancel', id: t.id });
    this.finish(t, 'cancelled', tellThem ? 'cancelled' : 'they cancelled');
    t.channel?.close();
  }

  private finish(t: Transfer, state: Transfer['state'], text: string): void {
    t.state = state;
    this.mesh()?.hold(t.peer, t.id, false);
    t.row.dataset.state = state;
    t.actions.replaceChildren();
    this.status(t, text);
    if (state === 'done') t.progress.value = t.size || 1;
    (t as Outgoing).ended?.(state, text);
    if (t.kind && this.outgoing.get(t.id) === t) this.outgoing.delete(t.id);
    this.button(t, 'Remove', () => {
      t.row.remove();
      this.outgoing.delete(t.id);
      const inc = this.incoming.get(t.id);
      if (inc?.url) URL.revokeObjectURL(inc.url);
      this.incoming.delete(t.id);
    });
  }

  private row(dir: 'in' | 'out', peer: string, name: string, size: number, id = randomId(), listed = true): Transfer {
    const status = el('span', { class: 'status' });
    const progress = el('progress', { max: size || 1, value: 0 });
    const actions = el('span', { class: 'actions' });
    const row = el(
      'li',
      { class: `transfer ${dir}`, 'data-id': id, 'data-state': 'offered' },
      el('span', { class: 'what' }, dir === 'out' ? `To ${peer}: ` : `From ${peer}: `, el('strong', {}, name), ` (${formatBytes(size)})`),
      progress,
      status,
      actions,
    );
    if (listed) {
      this.list.append(row);
      this.list.closest('section')?.removeAttribute('hidden');
    }
    return { id, peer, name, size, done: 0, state: 'offered', row, status, progress, actions };
  }

  private status(t: Transfer, text: string): void {
    t.status.textContent = text;
  }

  private progress(t: Transfer): void {
    t.progress.value = t.done;
    t.progress.textContent = `${Math.floor((100 * t.done) / (t.size || 1))}%`;
  }

  private button(t: Transfer, label: string, onClick: () => void): void {
    const b = el('button', { type: 'button' }, label);
    b.addEventListener('click', onClick);
    t.actions.append(b);
  }
}
