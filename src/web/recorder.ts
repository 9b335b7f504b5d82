// Voice and video messages: recorded in the page (MediaRecorder), heard or seen before
// sending, then sent peer to peer, like a file, to each chatter present (src/web/files.ts),
// and played inline in the message list from a blob: URL. Nothing of it goes to the
// server: only the signaling for the connections, which a recording needs as a transfer
// does. A click starts and stops; holding the button down records while it is held.

import { formatBytes } from '../shared/format.js';
import { clockTime, el } from './dom.js';
import { MAX_MEDIA_BYTES } from './files.js';
import type { MediaKind } from './mesh.js';

/** The longest recording: it stops by itself then, with a word. */
export const MAX_RECORD_MS = 2 * 60 * 1000;
/** Held longer than this, the button records only while it is held. */
const HOLD_MS = 400;
/** What is asked of the recorder, the first one this browser can do. */
const TYPES: Record<MediaKind, string[]> = {
  voice: ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'],
  video: ['video/webm;codecs=vp8,opus', 'video/webm', 'video/mp4'],
};
/** Bit rates that keep two minutes of video under MAX_MEDIA_BYTES (about 15 MB). */
const AUDIO_BPS = 64_000;
const VIDEO_BPS = 900_000;
/** The recorder hands over its data this often, so the size cap is checked as it grows. */
const SLICE_MS = 1000;

export interface RecorderOptions {
  voice: HTMLButtonElement;
  video: HTMLButtonElement;
  /** The preview goes just before this element (the message box). */
  before: HTMLElement;
  list: { show(li: HTMLLIElement): void; note(text: string): void };
  /** Who gets a message: those present, without me and those I ignore. */
  recipients(): string[];
  offer(to: string, file: File, kind: MediaKind, ended: (state: string, text: string) => void): void;
  myName(): string;
  arrived(from: string, text: string): void;
}

type State = 'idle' | 'starting' | 'recording' | 'stopping';

export class Recorder {
  private state: State = 'idle';
  private kind: MediaKind = 'voice';
  private recorder: MediaRecorder | undefined;
  private chunks: Blob[] = [];
  private bytes = 0;
  private startedAt = 0;
  private ticker: number | undefined;
  private why = '';
  /** When the pointer went down on the button that started a recording (0: it did not). */
  private pressAt = 0;
  private pointer = false;
  private preview: HTMLElement | undefined;

  constructor(private readonly o: RecorderOptions) {
    const able = typeof MediaRecorder !== 'undefined' && Boolean(navigator.mediaDevices?.getUserMedia);
    for (const [kind, button] of [
      ['voice', o.voice],
      ['video', o.video],
    ] as const) {
      if (!able) {
        button.disabled = true;
        button.title = 'Recording needs a secure page (https:// or localhost) and a browser that records';
        continue;
      }
      button.addEventListener('pointerdown', (e) => {
        if (e.button !== 0) return;
        this.pointer = true;
        this.pressAt = this.state === 'idle' ? Date.now() : 0;
        if (this.state === 'idle') void this.start(kind);
      });
      button.addEventListener('pointerup', () => {
        if (this.pressAt && Date.now() - this.pressAt >= HOLD_MS && this.kind === kind) this.stop('');
      });
      button.addEventListener('click', () => {
        // A click from the keyboard toggles; one from a pointer was handled on the way down.
        const fromPointer = this.pointer;
        this.pointer = false;
        if (fromPointer && this.pressAt) return;
        if (this.state === 'recording' && this.kind === kind) this.stop('');
        else if (this.state === 'idle' && !fromPointer) void this.start(kind);
      });
    }
  }

  private button(kind: MediaKind): HTMLButtonElement {
    return kind === 'voice' ? this.o.voice : this.o.video;
  }

  async start(kind: MediaKind): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'starting';
    this.kind = kind;
    this.discard();
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        kind === 'voice' ? { audio: true } : { audio: true, video: { width: { ideal: 640 }, height: { ideal: 360 } } },
      );
    } catch (e) {
      this.state = 'idle';
      this.o.list.note(`Could not use the ${kind === 'voice' ? 'microphone' : 'camera and microphone'}: ${(e as Error).message}`);
      return;
    }
    const mimeType = TYPES[kind].find((t) => MediaRecorder.isTypeSupported(t));
    const rec = new MediaRecorder(stream, {
      ...(mimeType ? { mimeType } : {}),
      audioBitsPerSecond: AUDIO_BPS,
      ...(kind === 'video' ? { videoBitsPerSecond: VIDEO_BPS } : {}),
    });
    this.recorder = rec;
    this.chunks = [];
    this.bytes = 0;
    this.why = '';
    rec.ondataavailable = (e) => {
      if (!e.data.size) return;
      this.chunks.push(e.data);
      this.bytes += e.data.size;
      // Stopped with room to spare: the last slice is still to come.
      if (this.bytes > MAX_MEDIA_BYTES * 0.9)
        this.stop(`Recording stopped at ${formatBytes(this.bytes)}, near the most a message may be (${formatBytes(MAX_MEDIA_BYTES)}).`);
    };
    rec.onstop = () => this.stopped(rec);
    rec.start(SLICE_MS);
    this.state = 'recording';
    this.startedAt = Date.now();
    const button = this.button(kind);
    button.setAttribute('aria-pressed', 'true');
    const show = () => {
      const s = Math.floor((Date.now() - this.startedAt) / 1000);
      button.textContent = `Stop ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
      if (Date.now() - this.startedAt >= MAX_RECORD_MS) this.stop(`Recording stopped at ${MAX_RECORD_MS / 60000} minutes, the longest a message may be.`);
    };
    show();
    this.ticker = window.setInterval(show, 250);
  }

  /** `why`: a note for a stop the user did not ask for. */
  stop(why: string): void {
    if (this.state !== 'recording' || !this.recorder) return;
    this.why = why;
    this.state = 'stopping'; // idle again once the recorder handed over its last data
    clearInterval(this.ticker);
    const button = this.button(this.kind);
    button.setAttribute('aria-pressed', 'false');
    button.textContent = this.kind === 'voice' ? 'Voice' : 'Video';
    if (this.recorder.state !== 'inactive') this.recorder.stop();
  }

  private stopped(rec: MediaRecorder): void {
    for (const t of rec.stream.getTracks()) t.stop();
    if (this.recorder !== rec) return;
    this.recorder = undefined;
    this.state = 'idle';
    if (this.why) this.o.list.note(this.why);
    const blob = new Blob(this.chunks, { type: rec.mimeType || (this.kind === 'voice' ? 'audio/webm' : 'video/webm') });
    this.chunks = [];
    if (!blob.size) {
      this.o.list.note('Nothing was recorded.');
      return;
    }
    this.showPreview(this.kind, blob);
  }

  /** Heard (or seen) before it goes: Send or Discard. */
  private showPreview(kind: MediaKind, blob: Blob): void {
    const url = URL.createObjectURL(blob);
    const send = el('button', { type: 'button', class: 'send-recording' }, 'Send');
    const drop = el('button', { type: 'button', class: 'secondary discard-recording' }, 'Discard');
    const panel = el(
      'div',
      { class: 'recording', id: 'recording', 'data-kind': kind, 'data-bytes': blob.size },
      el('span', { class: 'what' }, `Your ${kind} message (${formatBytes(blob.size)}):`),
      player(kind, url),
      send,
      drop,
    );
    panel.addEventListener('remove-preview', () => URL.revokeObjectURL(url));
    send.addEventListener('click', () => {
      this.discard();
      this.send(kind, blob);
    });
    drop.addEventListener('click', () => this.discard());
    this.preview = panel;
    this.o.before.before(panel);
    send.focus();
  }

  private discard(): void {
    this.preview?.dispatchEvent(new Event('remove-preview'));
    this.preview?.remove();
    this.preview = undefined;
  }

  /** To each chatter present, one transfer each; my own copy plays in my list. */
  send(kind: MediaKind, blob: Blob): void {
    if (blob.size > MAX_MEDIA_BYTES) {
      this.o.list.note(`That recording is too big to send: at most ${formatBytes(MAX_MEDIA_BYTES)}.`);
      return;
    }
    const to = this.o.recipients();
    if (!to.length) {
      this.o.list.note(`Nobody else is here to get your ${kind} message: it was not sent.`);
      return;
    }
    const { li, status } = mediaLine(this.o.myName(), kind, blob);
    li.classList.add('mine');
    const pending = new Set(to);
    const sent: string[] = [];
    const failed: string[] = [];
    const show = () => {
      const parts = [];
      if (sent.length) parts.push(`sent to ${sent.join(', ')}`);
      if (pending.size) parts.push(`sending to ${[...pending].join(', ')}`);
      if (failed.length) parts.push(`not sent to ${failed.join('; ')}`);
      status.textContent = `(${parts.join('; ')})`;
      li.dataset.state = pending.size ? 'sending' : failed.length ? 'failed' : 'sent';
    };
    show();
    this.o.list.show(li);
    const file = new File([blob], `${kind}-message.webm`, { type: blob.type });
    for (const name of to) {
      this.o.offer(name, file, kind, (state, text) => {
        if (!pending.delete(name)) return;
        if (state === 'done') sent.push(name);
        else failed.push(`${name}: ${text}`);
        show();
      });
    }
  }

  /** A recording from someone else arrived. */
  received(from: string, kind: MediaKind, blob: Blob): void {
    this.o.list.show(mediaLine(from, kind, blob).li);
    this.o.arrived(from, `sent a ${kind} message`);
  }
}

function player(kind: MediaKind, url: string): HTMLMediaElement {
  // Metadata only: a recording plays when asked, never by itself.
  return kind === 'voice'
    ? el('audio', { controls: true, preload: 'metadata', src: url })
    : el('video', { controls: true, playsinline: true, preload: 'metadata', src: url });
}

/** A line of the message list: who, when, the player and a Save link. */
function mediaLine(from: string, kind: MediaKind, blob: Blob): { li: HTMLLIElement; status: HTMLSpanElement } {
  const url = URL.createObjectURL(blob);
  const now = new Date();
  const status = el('span', { class: 'status' });
  const li = el(
    'li',
    { class: `media ${kind}`, 'data-from': from, 'data-kind': kind },
    el('time', { datetime: now.toISOString() }, clockTime(now)),
    ' ',
    el('span', { class: 'from' }, from),
    ' ',
    el('span', { class: 'note' }, `${kind} message `),
    player(kind, url),
    ' ',
    el('a', { class: 'save', href: url, download: `${kind}-${from}-${now.toISOString().slice(0, 19).replace(/:/g, '')}.webm` }, 'Save'),
    ' ',
    status,
  );
  return { li, status };
}
