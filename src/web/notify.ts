// While the tab is hidden: an unread count in the title, and desktop notifications
// (permission asked once, on the first message you send; off in the settings).

import type { Prefs } from './prefs.js';

export class Notifier {
  private unread = 0;
  private readonly title = document.title;
  /** The service worker (src/web/sw.ts), once registered: an installed app shows notifications through it. */
  worker: ServiceWorkerRegistration | undefined;

  constructor(
    private readonly prefs: Prefs,
    private readonly room: string,
  ) {
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.clear();
    });
    addEventListener('focus', () => this.clear());
  }

  get supported(): boolean {
    return 'Notification' in window;
  }

  /** Call on a user gesture (sending a message): browsers only ask then. */
  askOnce(): void {
    if (!this.supported || !this.prefs.get('notify') || this.prefs.get('asked') || Notification.permission !== 'default') return;
    this.prefs.set('asked', true);
    void Notification.requestPermission().catch(() => undefined);
  }

  /**
   * Something new for the reader; counted and shown only while the tab is hidden. A
   * `mention` of me is shown even with notifications turned off here (still only with the
   * browser's permission).
   */
  arrived(from: string, text: string, whisper = false, mention = false): void {
    if (!document.hidden) return;
    this.unread++;
    document.title = `(${this.unread}) ${this.title}`;
    if (!this.supported || !(mention || this.prefs.get('notify')) || Notification.permission !== 'granted') return;
    const title = whisper ? `${from} whispers (${this.room})` : mention ? `${from} mentions you in ${this.room}` : `${from} in ${this.room}`;
    const options = { body: text.slice(0, 200), tag: `tailroom-${this.room}`, data: { url: location.href } };
    // The worker's click handler focuses this room's window, even from an installed app.
    if (this.worker) {
      this.worker.showNotification(title, options).catch(() => this.inPage(title, options));
      return;
    }
    this.inPage(title, options);
  }

  private inPage(title: string, options: NotificationOptions): void {
    try {
      const n = new Notification(title, options);
      n.onclick = () => {
        focus();
        n.close();
      };
    } catch {
      /* some browsers only allow notifications from a service worker */
    }
  }

  private clear(): void {
    this.unread = 0;
    document.title = this.title;
  }
}
