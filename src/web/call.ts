// Audio/video call with the people in the room (Rakuen's and pychat's feature): a mesh of
// those in the call only (each page says whether it is in the call; joining connects to
// those who are), so each participant sends to each other one; up to six people. Mute and camera
// buttons switch the local tracks off without renegotiating; Share screen (src/web/screen.ts)
// sends the screen in the camera's place.

import { el } from './dom.js';
import type { Mesh } from './mesh.js';
import { ScreenShare } from './screen.js';

export const MAX_CALL = 6;

export interface CallUi {
  panel: HTMLElement;
  tiles: HTMLElement;
  join: HTMLButtonElement;
  mute: HTMLButtonElement;
  camera: HTMLButtonElement;
  leave: HTMLButtonElement;
}

export class Call {
  private stream: MediaStream | undefined;
  private joining = false;
  private readonly share: ScreenShare | undefined;

  constructor(
    private readonly ui: CallUi,
    private readonly mesh: () => Mesh | undefined,
    private readonly say: (text: string) => void,
  ) {
    if (!navigator.mediaDevices?.getUserMedia) {
      ui.join.disabled = true;
      ui.join.title = 'Calls need a secure page (https:// or localhost)';
    }
    ui.join.addEventListener('click', () => void (this.stream ? this.leave() : this.join()));
    ui.leave.addEventListener('click', () => this.leave());
    ui.mute.addEventListener('click', () => this.toggle('audio', ui.mute));
    ui.camera.addEventListener('click', () => this.toggle('video', ui.camera));
    // Looked up here, so a page template without the button still has a call.
    const shareButton = document.getElementById('btn-share');
    if (shareButton instanceof HTMLButtonElement)
      this.share = new ScreenShare(shareButton, {
        stream: () => this.stream,
        mesh,
        say,
        changed: (sharing) => {
          ui.camera.disabled = sharing; // the camera button would switch the screen off
          ui.tiles.querySelector('.tile.me')?.classList.toggle('screen', sharing);
        },
      });
  }

  get inCall(): boolean {
    return this.stream !== undefined;
  }

  participants(): number {
    let n = this.inCall ? 1 : 0;
    for (const s of this.mesh()?.remote.values() ?? []) if (s.call) n++;
    return n;
  }

  async join(): Promise<void> {
    if (this.stream || this.joining) return;
    const others = this.participants();
    if (others >= MAX_CALL) return this.say(`The call is full: at most ${MAX_CALL} people.`);
    this.joining = true;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 360 } } });
    } catch {
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        this.say('No camera: you are in the call with sound only.');
      } catch (e) {
        this.say(`Could not use the microphone or camera: ${(e as Error).message}`);
      }
    } finally {
      this.joining = false;
    }
    if (!this.stream) return;
    this.mesh()?.setCall(this.stream);
    this.render();
  }

  leave(): void {
    if (!this.stream) return;
    this.share?.stop(); // puts the camera back in the stream, to be stopped with the rest
    for (const t of this.stream.getTracks()) t.stop();
    this.stream = undefined;
    this.mesh()?.setCall(undefined);
    this.render();
  }

  /** A new mesh (after a reconnect) gets our media again. */
  attach(mesh: Mesh): void {
    if (this.stream) mesh.setCall(this.stream);
    this.render();
  }

  private toggle(kind: 'audio' | 'video', button: HTMLButtonElement): void {
    const tracks = this.stream?.getTracks().filter((t) => t.kind === kind) ?? [];
    const first = tracks[0];
    if (!first) return;
    const on = !first.enabled;
    for (const t of tracks) t.enabled = on;
    button.setAttribute('aria-pressed', String(!on));
    button.textContent = kind === 'audio' ? (on ? 'Mute' : 'Unmute') : on ? 'Camera off' : 'Camera on';
  }

  /** Tiles: ours (muted, mirrored) and one per peer in the call with media. */
  render(): void {
    const { panel, tiles, join } = this.ui;
    panel.hidden = !this.stream;
    join.textContent = this.stream ? 'Leave call' : 'Call';
    join.setAttribute('aria-pressed', String(Boolean(this.stream)));
    if (!this.stream) {
      tiles.replaceChildren();
      this.ui.mute.textContent = 'Mute';
      this.ui.camera.textContent = 'Camera off';
      return;
    }
    const wanted = new Map<string, MediaStream>([['', this.stream]]);
    for (const [name, p] of this.mesh()?.peers ?? []) {
      if (p.remoteInCall && p.remoteStream?.getTracks().length) wanted.set(name, p.remoteStream);
    }
    for (const tile of [...tiles.children] as HTMLElement[]) {
      const name = tile.dataset.name ?? '';
      if (wanted.get(name) !== (tile.querySelector('video') as (HTMLVideoElement & { srcObject: MediaStream }) | null)?.srcObject) tile.remove();
    }
    for (const [name, stream] of wanted) {
      if ([...tiles.children].some((t) => (t as HTMLElement).dataset.name === name)) continue;
      const video = el('video', { autoplay: true, playsinline: true });
      video.muted = name === ''; // never play our own microphone back
      video.srcObject = stream;
      const tile = el(
        'figure',
        { class: name === '' ? `tile me${this.share?.sharing ? ' screen' : ''}` : 'tile', 'data-name': name },
        video,
        el('figcaption', {}, name === '' ? 'You' : name),
      );
      tiles.append(tile);
      void video.play().catch(() => undefined);
    }
  }
}
