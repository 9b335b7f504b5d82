// Direct (WebRTC) connections, opened only on demand: ICE candidates carry a browser's
// addresses, so a page connects only to a chatter it shares something with — both in the
// call, both with the typing preview on (each page tells the others through a `status`
// message, which carries no address), or a file transfer its receiver accepted — and
// closes the connection again once nothing needs it. A chatter who does nothing gets no
// `signal` and makes no RTCPeerConnection. Signals travel through the room handler (the
// recipient's inbox). Offers, answers and ICE candidates follow the "perfect negotiation"
// pattern, so either side may (re)negotiate at any time — a call adding tracks, a file
// channel — and a collision is settled by who is polite (the alphabetically smaller name).
// Every peer has a "chat" data channel (negotiated, id 0) for small JSON messages;
// file transfers open channels of their own.

import type { IceServer, PeerStatus } from '../shared/protocol.js';
import { randomId } from './dom.js';

/** Messages on the chat channel. They come from another browser: checked before use. */
export type PeerMessage =
  | { t: 'typing'; text: string }
  | { t: 'file-offer'; id: string; name: string; size: number; kind?: MediaKind }
  | { t: 'file-answer'; id: string; accept: boolean }
  | { t: 'file-cancel'; id: string };

/** A recorded message (src/web/recorder.ts): offered like a file, played inline where it arrives. */
export type MediaKind = 'voice' | 'video';

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
    case 'typing':
      return typeof m.text === 'string' ? { t: 'typing', text: m.text.slice(0, 4096) } : undefined;
    case 'file-offer':
      if (!id || typeof m.name !== 'string' || typeof m.size !== 'number' || !Number.isSafeInteger(m.size) || m.size < 0) return undefined;
      return { t: 'file-offer', id, name: m.name.slice(0, 255), size: m.size, ...(m.kind === 'voice' || m.kind === 'video' ? { kind: m.kind } : {}) };
    case 'file-answer':
      return id ? { t: 'file-answer', id, accept: m.accept === true } : undefined;
    case 'file-cancel':
      return id ? { t: 'file-cancel', id } : undefined;
    default:
      return undefined;
  }
}

/** File messages may travel in a signal: an offer is made and answered before any connection. */
const FILE_MESSAGES: ReadonlySet<string> = new Set(['file-offer', 'file-answer', 'file-cancel']);

/** What travels in `signal`: who sends (page session id), for whom, and the SDP/ICE or a file message. */
interface SignalData {
  sid: string;
  to?: string;
  description?: RTCSessionDescriptionInit;
  candidates?: RTCIceCandidateInit[];
  msg?: PeerMessage;
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
  if (data.msg !== undefined) {
    const m = parsePeerMessage(JSON.stringify(data.msg));
    if (m && FILE_MESSAGES.has(m.t)) out.msg = m;
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
  /** What we connect for changed: tell the others. */
  status(s: PeerStatus): void;
}

/** Candidates gathered within this window go in one signal (the server rate-limits signals). */
const CANDIDATE_BATCH_MS = 60;
/**
 * A connection nothing needs any more closes after this long: the other side, told the
 * same thing a moment later, lets go too, and a file's last bytes are not cut off.
 */
const IDLE_CLOSE_MS = 2000;

export class Peer {
  readonly pc: RTCPeerConnection;
  readonly chat: RTCDataChannel;
  remoteSid: string | undefined;
  state: PeerState = 'connecting';
  remoteStream: MediaStream | undefined;
  private senders: RTCRtpSender[] = [];
  /** The sender of our video (camera or screen), kept when its track is swapped or taken away. */
  private videoSender: RTCRtpSender | undefined;
  private makingOffer = false;
  private ignoreOffer = false;
  private queue: Promise<void> = Promise.resolve();
  private outCandidates: RTCIceCandidateInit[] = [];
  private flushTimer: number | undefined;
  idleTimer: number | undefined;

  constructor(
    public name: string,
    private readonly mesh: Mesh,
    private readonly polite: boolean,
  ) {
    this.pc = new RTCPeerConnection({ iceServers: mesh.iceServers });
    this.chat = this.pc.createDataChannel('chat', { negotiated: true, id: 0 });
    this.chat.onopen = () => this.setState('open');
    // They let go: quietly when we no longer need it either (see IDLE_CLOSE_MS).
    this.chat.onclose = () => mesh.lost(this);
    this.chat.onmessage = (e) => {
      const m = parsePeerMessage(e.data);
      if (m) mesh.events.message(this.name, m);
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
    this.updateMedia();
  }

  /** They said they are in the call. */
  get remoteInCall(): boolean {
    return this.mesh.remote.get(this.name)?.call === true;
  }

  setState(s: PeerState): void {
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
      for (const track of stream.getTracks()) {
        const sender = this.pc.addTrack(track, stream);
        this.senders.push(sender);
        if (track.kind === 'video') this.videoSender = sender;
      }
    } else if (!want && this.senders.length) {
      for (const s of this.senders) {
        try {
          this.pc.removeTrack(s);
        } catch {
          /* closed meanwhile */
        }
      }
      this.senders = [];
      this.videoSender = undefined;
    }
  }

  /**
   * Our video changed (the screen instead of the camera, or back): swapped on the sender
   * we have, which needs no new offer; a call without a camera gets a sender, and the
   * negotiation that comes with it.
   */
  setVideo(track: MediaStreamTrack | null, stream: MediaStream): void {
    if (!this.senders.length || this.state === 'closed') return; // not sending: updateMedia adds the stream's tracks
    if (this.videoSender) {
      this.videoSender.replaceTrack(track).catch((e) => console.warn('tailroom: video to', this.name, 'not switched', e));
    } else if (track) {
      this.videoSender = this.pc.addTrack(track, stream);
      this.senders.push(this.videoSender);
    }
  }

  close(): void {
    if (this.state === 'closed') return;
    clearTimeout(this.flushTimer);
    clearTimeout(this.idleTimer);
    this.setState('closed');
    this.pc.close();
  }
}

export class Mesh {
  /** This page's connection: signals for an earlier one of ours are ignored. */
  readonly sid = randomId();
  readonly peers = new Map<string, Peer>();
  /** What the others said they connect for (`status` messages), and when. */
  readonly remote = new Map<string, PeerStatus & { t: string }>();
  inCall = false;
  localStream: MediaStream | undefined;
  /** Per chatter, the file transfers that need a connection to them; true: we start it. */
  private readonly holds = new Map<string, Map<string, boolean>>();

  readonly iceServers: RTCIceServer[];

  constructor(
    public me: string,
    iceServers: unknown,
    readonly events: MeshEvents,
    private preview: boolean,
  ) {
    this.iceServers = usableIceServers(iceServers);
  }

  /** What we connect for, as the others are told. */
  status(): PeerStatus {
    return { call: this.inCall, preview: this.preview };
  }

  /**
   * Whether a connection to `name` is wanted, and whether we make the offer: the smaller
   * name for what both sides know alike (call, preview), the sender for a file.
   */
  private need(name: string): { wanted: boolean; initiate: boolean } {
    const them = this.remote.get(name);
    const shared = Boolean((this.inCall && them?.call) || (this.preview && them?.preview));
    const files = [...(this.holds.get(name)?.values() ?? [])];
    return { wanted: shared || files.length > 0, initiate: (shared && this.me < name) || files.includes(true) };
  }

  /** Open, keep or (after IDLE_CLOSE_MS) close the connection to `name`, as needed. */
  update(name: string): void {
    if (name === this.me) return;
    const { wanted, initiate } = this.need(name);
    let p = this.peers.get(name);
    if (p) clearTimeout(p.idleTimer);
    if (wanted) {
      if (p?.state === 'failed' && initiate) {
        // Their page went (a reload, a reconnect): start afresh with the one that is there now.
        this.drop(name);
        p = undefined;
      }
      if (!p && initiate) p = this.create(name);
      p?.updateMedia();
      return;
    }
    if (p) {
      p.updateMedia();
      const idle = p;
      idle.idleTimer = window.setTimeout(() => {
        if (this.peers.get(name) === idle && !this.need(name).wanted) this.drop(name);
      }, IDLE_CLOSE_MS);
    }
  }

  /** The chat channel closed: a failure if we still need the connection, else the end of it. */
  lost(p: Peer): void {
    if (p.state === 'closed' || this.peers.get(p.name) !== p) return;
    if (this.need(p.name).wanted) p.setState('failed');
    else this.drop(p.name);
  }

  /** A chatter said what they connect for, at `t`. */
  setRemote(name: string, s: PeerStatus, t: string): void {
    if (name === this.me) return;
    this.remote.set(name, { call: s.call, preview: s.preview, t });
    this.update(name);
    this.events.media(name);
  }

  /** A file transfer with `name` needs (or no longer needs) a connection. */
  hold(name: string, id: string, on: boolean, initiate = false): void {
    const h = this.holds.get(name) ?? new Map<string, boolean>();
    if (on) h.set(id, initiate);
    else h.delete(id);
    if (h.size) this.holds.set(name, h);
    else this.holds.delete(name);
    this.update(name);
  }

  /** Whoever is no longer present loses their connection and what they said. */
  keepOnly(present: ReadonlySet<string>): void {
    for (const name of [...this.peers.keys()]) if (!present.has(name)) this.drop(name);
    for (const name of [...this.remote.keys()]) if (!present.has(name)) this.forget(name);
  }

  /**
   * They left at `t`: what they said before goes. A status said after it is their next
   * page's (its inbox line may be read before the room log's `leave`), and it stays; so
   * does the connection, which closes by itself or gives way to their new page's.
   * Returns whether their status went.
   */
  left(name: string, t: string): boolean {
    const s = this.remote.get(name);
    if (!s || s.t > t) return false;
    this.remote.delete(name);
    this.update(name);
    this.events.media(name);
    return true;
  }

  /** They are gone: everything about them goes. */
  forget(name: string): void {
    this.remote.delete(name);
    this.holds.delete(name);
    this.drop(name);
  }

  onSignal(from: string, raw: Record<string, unknown>): void {
    if (from === this.me) return;
    const data = parseSignal(raw);
    if (!data || (data.to !== undefined && data.to !== this.sid)) return;
    if (data.msg) {
      this.events.message(from, data.msg);
      if (!data.description && !data.candidates) return;
    }
    let p = this.peers.get(from);
    if (p && p.remoteSid !== undefined && p.remoteSid !== data.sid) {
      // They reloaded or reconnected: a new page, a new connection.
      this.drop(from);
      p = undefined;
    }
    if (!p) {
      if (data.description?.type !== 'offer') return; // late words of a connection we closed
      // Nobody gets our addresses (our answer, our candidates) for a connection we do not want.
      if (!this.need(from).wanted) return;
      p = this.create(from);
    }
    p.remoteSid ??= data.sid;
    p.receive(data);
  }

  rename(from: string, to: string): void {
    if (from === this.me) this.me = to;
    const s = this.remote.get(from);
    this.remote.delete(from);
    if (s) this.remote.set(to, s);
    const h = this.holds.get(from);
    this.holds.delete(from);
    if (h) this.holds.set(to, h);
    const p = this.peers.get(from);
    if (!p) return;
    this.peers.delete(from);
    this.peers.get(to)?.close();
    p.name = to;
    this.peers.set(to, p);
  }

  /**
   * To one chatter: over the connection when there is one; a file message without one
   * goes in a signal (no address in it), so an offer is made before anyone connects.
   */
  send(name: string, m: PeerMessage): boolean {
    if (this.peers.get(name)?.send(m)) return true;
    if (!FILE_MESSAGES.has(m.t) || name === this.me) return false;
    this.events.signal(name, { sid: this.sid, msg: m });
    return true;
  }

  /** The typing preview: only to those who said theirs is on. */
  broadcast(m: PeerMessage): void {
    for (const [name, p] of this.peers) if (this.remote.get(name)?.preview) p.send(m);
  }

  setCall(stream: MediaStream | undefined): void {
    const was = this.inCall;
    this.inCall = Boolean(stream);
    this.localStream = stream;
    if (was !== this.inCall) this.events.status(this.status());
    for (const name of this.known()) this.update(name);
  }

  /** Every peer we send our call to gets `track` as our video (see Peer.setVideo). */
  setVideo(track: MediaStreamTrack | null): void {
    if (!this.localStream) return;
    for (const p of this.peers.values()) p.setVideo(track, this.localStream);
  }

  setPreview(on: boolean): void {
    if (on === this.preview) return;
    this.preview = on;
    this.events.status(this.status());
    for (const name of this.known()) this.update(name);
  }

  closeAll(): void {
    for (const name of [...this.peers.keys()]) this.drop(name);
  }

  private known(): Set<string> {
    return new Set([...this.peers.keys(), ...this.remote.keys(), ...this.holds.keys()]);
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
