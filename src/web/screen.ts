// Screen sharing in a call: the screen (getDisplayMedia) takes the camera's place in
// what we send, on the video sender every peer already has (no new offer), and the
// camera comes back when sharing stops, by our button or by the browser's own "stop
// sharing" (the track ends). Later peers get whatever the call's stream holds then.

import type { Mesh } from './mesh.js';

export interface ShareHost {
  /** The call's stream (what the mesh sends), while in the call. */
  stream(): MediaStream | undefined;
  mesh(): Mesh | undefined;
  say(text: string): void;
  /** Sharing started or stopped: the call shows it. */
  changed(sharing: boolean): void;
}

export class ScreenShare {
  private screen: MediaStreamTrack | undefined;
  /** The camera's track, set aside (still live) while the screen is sent. */
  private camera: MediaStreamTrack | undefined;
  private asking = false;

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly host: ShareHost,
  ) {
    if (!navigator.mediaDevices?.getDisplayMedia) {
      button.disabled = true;
      button.title = 'This browser cannot share its screen here (it needs https:// or localhost, and a desktop browser)';
    }
    button.addEventListener('click', () => void (this.screen ? this.stop() : this.start()));
    this.show();
  }

  get sharing(): boolean {
    return this.screen !== undefined;
  }

  async start(): Promise<void> {
    if (this.screen || this.asking || !this.host.stream()) return;
    this.asking = true;
    let display: MediaStream;
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (e) {
      // Cancelled in the picker (NotAllowedError) is a choice, not a failure worth a word.
      if ((e as Error).name !== 'NotAllowedError') this.host.say(`Could not share the screen: ${(e as Error).message}`);
      return;
    } finally {
      this.asking = false;
    }
    const track = display.getVideoTracks()[0];
    const stream = this.host.stream();
    if (!track || !stream) {
      for (const t of display.getTracks()) t.stop(); // left the call meanwhile
      return;
    }
    // Text and lines stay sharp; the frame rate gives way first when bandwidth is short.
    track.contentHint = 'detail';
    this.camera = stream.getVideoTracks()[0];
    if (this.camera) stream.removeTrack(this.camera);
    stream.addTrack(track);
    this.screen = track;
    track.addEventListener('ended', () => this.stop());
    this.host.mesh()?.setVideo(track);
    this.show();
  }

  /** Back to the camera (or to no video, in a call without one). */
  stop(): void {
    const screen = this.screen;
    if (!screen) return;
    this.screen = undefined;
    screen.stop();
    const camera = this.camera;
    this.camera = undefined;
    const stream = this.host.stream();
    if (stream) {
      stream.removeTrack(screen);
      const back = camera?.readyState === 'live' ? camera : null;
      if (back) stream.addTrack(back);
      this.host.mesh()?.setVideo(back);
    } else camera?.stop();
    this.show();
  }

  private show(): void {
    const on = this.sharing;
    this.button.textContent = on ? 'Stop sharing' : 'Share screen';
    this.button.setAttribute('aria-pressed', String(on));
    this.host.changed(on);
  }
}
