// The WebRTC mesh: one RTCPeerConnection to each other chatter in the room, signaled
// through the room handler (`signal` messages travel through the recipient's inbox).
// Offers, answers and ICE candidates follow the "perfect negotiation" pattern, so either
// side may (re)negotiate at any time — a newcomer connecting, a call adding tracks — and
// a collision is settled by who is polite (the alphabetically smaller name).
// Every peer has a "chat" data channel (negotiated, id 0) for small JSON messages;
// file transfers open channels of their own.

import type { IceServer } from '../shared/protocol.js';
import { randomId } from './dom.js';

/** Messages on the chat channel. They come from another browser: checked before use. */
export type PeerMessage =
  | { t: 'hello'; call: boolean }
  | { t: 'typing'; text: string }
  | { t: 'call'; on: boolean }
  | { t: 'file-offer'; id: string; name: string; size: number }
  | { t: 'file-answer'; id: string; accept: boolean }
  | { t: 'file-cancel'; id: string };

const MAX_PEER_MESSAGE = 16 * 1024;
const ID = /^[0-9a-f]{8,64}$/;

export function parsePeerMessage(raw: unknown): PeerMessage | undefined {
  if (typeof raw !== 'string' || raw.length > MAX_PEER_MESSAGE) return undefined;
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const id = typeof m.id === 'string' && ID.test(m.id) ? m.id : undefined;
  switch (m.t) {
    case 'hello':
      return { t: 'hello', call: m.call === true };
    case 'typing':
      return typeof m.text === 'string' ? { t: 'typing', text: m.text.slice(0, 4096) } : undefined;
    case 'call':
      return { t: 'call', on: m.on === true };
    case 'file-offer':
      if (!id || typeof m.name !== 'string' || typeof m.size !== 'number' || !Number.isSafeInteger(m.size) || m.size < 0) return undefined;
      return { t: 'file-offer', id, name: m.name.slice(0, 255), size: m.size };
    case 'file-answer':
      return id ? { t: 'file-answer', id, accept: m.accept === true } : undefined;
    case 'file-cancel':
      return id ? { t: 'file-cancel', id } : undefined;
    default:
      return undefined;
  }
}

/** What travels in `signal`: who sends (page session id), for whom, and the SDP/ICE. */
interface SignalData {
  sid: string;
  to?: string;
  description?: RTCSessionDescriptionInit;
  candidates?: RTCIceCandidateInit[];
}

function parseSignal(data: Record<string, unknown>): SignalData | undefined {
  if (typeof data.sid !== 'string' || !ID.test(data.sid)) return undefined;
  const out: SignalData = { sid: data.sid };
  if (typeof data.to === 'string') out.to = data.to;
  const d = data.description as Record<string, unknown> | undefined;
  if (d !== undefined) {
    if (typeof d !== 'object' || d === null || typeof d.sdp !== 'string' || !['offer', 'answer'].includes(String(d.type))) return undefined;
    out.description = { type: d.type as RTCSdpType, sdp: d.sdp };
  }
  if (data.candidates !== undefined) {
    if (!Array.isArray(data.candidates)) return undefined;
    out.candidates = data.candidates.filter(
      (c): c is RTCIceCandidateInit => typeof c === 'object' && c !== null && typeof (c as RTCIceCandidateInit).candidate === 'string',
    );
  }
  return out;
}

/**
 * The ICE servers from the welcome, as RTCPeerConnection takes them. A turn: URL without
 * a username and credential would make the constructor throw (and no peer would connect):
 * such URLs are left out, with a word in the console.
 */
export function usableIceServers(servers: unknown): RTCIceServer[] {
  if (!Array.isArray(servers)) return [];
  const out: RTCIceServer[] = [];
  for (const s of servers as IceServer[]) {
    if (typeof s !== 'object' || s === null) continue;
    const urls = (Array.isArray(s.urls) ? s.urls : [s.urls]).filter((u): u is string => typeof u === 'string');
    const hasCredentials = typeof s.username === 'string' && typeof s.credential === 'string';
    const usable = urls.filter((u) => /^stuns?:/i.test(u) || (/^turns?:/i.test(u) && hasCredentials));
    if (usable.length < urls.length)
      console.warn(
        'tailroom: ICE server URLs left out (TURN needs a username and credential):',
        urls.filter((u) => !usable.includes(u)),
      );
    if (usable.length) out.push(hasCredentials ? { urls: usable, username: s.username, credential: s.credential } : { urls: usable });
  }
  return out;
}

export type PeerState = 'connecting' | 'open' | 'failed' | 'closed';

export interface MeshEvents {
  signal(to: string, data: Record<string, unknown>): void;
  state(name: string, state: PeerState): void;
  message(name: string, m: PeerMessage): void;
  /** A data channel the other side opened (file transfers). */
  channel(name: string, ch: RTCDataChannel): void;
  /** Their media arrived or changed. */
  media(name: string): void;
}

/** Candidates gathered within this window go in one signal (the server rate-limits signals). */
const CANDIDATE_BATCH_MS = 60;

export class Peer {
  readonly pc: RTCPeerConnection;
  readonly chat: RTCDataChannel;
  remoteSid: string | undefined;
  state: PeerState = 'connecting';
  /** They said they are in the call. */
  remoteInCall = false;
  remoteStream: MediaStream | undefined;
  private senders: RTCRtpSender[] = [];
  private makingOffer = false;
  private ignoreOffer = false;
  private queue: Promise<void> = Promise.resolve();
  private outCandidates: RTCIceCandidateInit[] = [];
  private flushTimer: number | undefined;

  constructor(
    public name: string,
    private readonly mesh: Mesh,
    private readonly polite: boolean,
  ) {
    this.pc = new RTCPeerConnection({ iceServers: mesh.iceServers });
    this.chat = this.pc.createDataChannel('chat', { negotiated: true, id: 0 });
    this.chat.onopen = () => {
      this.setState('open');
      this.send({ t: 'hello', call: mesh.inCall });
    };
    this.chat.onclose = () => {
      if (this.state !== 'closed') this.setState('failed');
    };
    this.chat.onmessage = (e) => {
      const m = parsePeerMessage(e.data);
      if (!m) return;
      if (m.t === 'hello' || m.t === 'call') {
        this.remoteInCall = m.t === 'hello' ? m.call : m.on;
        this.updateMedia();
        mesh.events.media(this.name);
      }
      mesh.events.message(this.name, m);
    };
    this.pc.ondatachannel = (e) => mesh.events.channel(this.name, e.channel);
    this.pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await this.pc.setLocalDescription();
        this.signal({ description: this.pc.localDescription?.toJSON() });
      } catch (e) {
        console.warn('tailroom: offer to', this.name, 'failed', e);
      } finally {
        this.makingOffer = false;
      }
    };
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.outCandidates.push(candidate.toJSON());
      clearTimeout(this.flushTimer);
      if (!candidate) return this.flushCandidates(); // gathering is complete
      this.flushTimer = window.setTimeout(() => this.flushCandidates(), CANDIDATE_BATCH_MS);
    };
    this.pc.oniceconnectionstatechange = () => {
      if (this.pc.iceConnectionState === 'failed') this.pc.restartIce();
    };
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === 'failed' && this.state !== 'closed') this.setState('failed');
    };
    this.pc.ontrack = (e) => {
      const stream = e.streams[0] ?? new MediaStream([e.track]);
      this.remoteStream = stream;
      stream.onremovetrack = () => mesh.events.media(this.name);
      e.track.onunmute = () => mesh.events.media(this.name);
      mesh.events.media(this.name);
    };
  }

  private setState(s: PeerState): void {
    if (this.state === s) return;
    this.state = s;
    this.mesh.events.state(this.name, s);
  }

  private signal(data: Omit<SignalData, 'sid' | 'to'>): void {
    const full: SignalData = { sid: this.mesh.sid, ...(this.remoteSid ? { to: this.remoteSid } : {}), ...data };
    this.mesh.events.signal(this.name, full as unknown as Record<string, unknown>);
  }

  private flushCandidates(): void {
    if (!this.outCandidates.length) return;
    const candidates = this.outCandidates;
    this.outCandidates = [];
    this.signal({ candidates });
  }

  /** Signals are applied one at a time, in the order they came. */
  receive(data: SignalData): void {
    this.queue = this.queue.then(() => this.apply(data)).catch((e) => console.warn('tailroom: signal from', this.name, e));
  }

  private async apply({ description, candidates }: SignalData): Promise<void> {
    if (this.state === 'closed') return;
    if (description) {
      const collision = description.type === 'offer' && (this.makingOffer || this.pc.signalingState !== 'stable');
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      await this.pc.setRemoteDescription(description); // rolls our own offer back when polite
      if (description.type === 'offer') {
        await this.pc.setLocalDescription();
        this.signal({ description: this.pc.localDescription?.toJSON() });
      }
    }
    for (const c of candidates ?? []) {
      try {
        await this.pc.addIceCandidate(c);
      } catch (e) {
        if (!this.ignoreOffer) throw e;
      }
    }
  }

  send(m: PeerMessage): boolean {
    if (this.chat.readyState !== 'open') return false;
    this.chat.send(JSON.stringify(m));
    return true;
  }

  /** Our camera and microphone go to a peer only while both of us are in the call. */
  updateMedia(): void {
    const stream = this.mesh.inCall ? this.mesh.localStream : undefined;
    const want = Boolean(stream && this.remoteInCall && this.state !== 'closed');
    if (want && stream && this.senders.length === 0) {
      for (const track of stream.getTracks()) this.senders.push(this.pc.addTrack(track, stream));
    } else if (!want && this.senders.length) {
      for (const s of this.senders) {
        try {
          this.pc.removeTrack(s);
        } catch {
          /* closed meanwhile */
        }
      }
      this.senders = [];
    }
  }

  close(): void {
    if (this.state === 'closed') return;
    clearTimeout(this.flushTimer);
    this.setState('closed');
    this.pc.close();
  }
}

export class Mesh {
  /** This page's connection: signals for an earlier one of ours are ignored. */
  readonly sid = randomId();
  readonly peers = new Map<string, Peer>();
  inCall = false;
  localStream: MediaStream | undefined;

  readonly iceServers: RTCIceServer[];

  constructor(
    public me: string,
    iceServers: unknown,
    readonly events: MeshEvents,
  ) {
    this.iceServers = usableIceServers(iceServers);
  }

  /** A newcomer connects to everyone present; the others answer. */
  connectTo(names: Iterable<string>): void {
    for (const n of names) if (n !== this.me && !this.peers.has(n)) this.create(n);
  }

  /** Whoever is no longer present loses their connection. */
  keepOnly(present: ReadonlySet<string>): void {
    for (const name of [...this.peers.keys()]) if (!present.has(name)) this.drop(name);
  }

  onSignal(from: string, raw: Record<string, unknown>): void {
    if (from === this.me) return;
    const data = parseSignal(raw);
    if (!data || (data.to !== undefined && data.to !== this.sid)) return;
    let p = this.peers.get(from);
    if (p && p.remoteSid !== undefined && p.remoteSid !== data.sid) {
      // They reloaded or reconnected: a new page, a new connection.
      this.drop(from);
      p = undefined;
    }
    if (!p) {
      if (data.description?.type !== 'offer') return; // late words of a connection we closed
      p = this.create(from);
    }
    p.remoteSid ??= data.sid;
    p.receive(data);
  }

  rename(from: string, to: string): void {
    if (from === this.me) this.me = to;
    const p = this.peers.get(from);
    if (!p) return;
    this.peers.delete(from);
    this.peers.get(to)?.close();
    p.name = to;
    this.peers.set(to, p);
  }

  send(name: string, m: PeerMessage): boolean {
    return this.peers.get(name)?.send(m) ?? false;
  }

  broadcast(m: PeerMessage): void {
    for (const p of this.peers.values()) p.send(m);
  }

  setCall(stream: MediaStream | undefined): void {
    this.inCall = Boolean(stream);
    this.localStream = stream;
    for (const p of this.peers.values()) p.updateMedia();
    this.broadcast({ t: 'call', on: this.inCall });
  }

  closeAll(): void {
    for (const name of [...this.peers.keys()]) this.drop(name);
  }

  private create(name: string): Peer {
    const p = new Peer(name, this, this.me < name);
    this.peers.set(name, p);
    this.events.state(name, p.state);
    return p;
  }

  private drop(name: string): void {
    const p = this.peers.get(name);
    if (!p) return;
    this.peers.delete(name);
    p.close();
    this.events.media(name);
  }
}
