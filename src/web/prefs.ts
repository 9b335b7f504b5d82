// What this browser remembers (localStorage): whom you ignore, and your choices about
// notifications and the live typing preview. A browser without storage gets defaults.

const PREFS_KEY = 'tailroom.prefs';
const IGNORE_KEY = 'tailroom.ignore';

export interface PrefValues {
  /** Desktop notifications while the tab is hidden. */
  notify: boolean;
  /** Whether the browser was asked for notification permission already (asked once). */
  asked: boolean;
  /**
   * Send what I type, as I type, to the others who turned it on too (the original's live
   * chat). Off unless chosen: it needs direct connections, which show each side the
   * other's address. (A new name: the old `preview` was saved as true without a choice.)
   */
  livePreview: boolean;
}

const DEFAULTS: PrefValues = { notify: true, asked: false, livePreview: false };

function load<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

function save(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* private mode or full: kept for this page only */
  }
}

export class Prefs {
  private values: PrefValues;
  private ignoredNames: Set<string>;
  private readonly listeners: (() => void)[] = [];

  constructor() {
    const v = load<Partial<PrefValues>>(PREFS_KEY, {});
    this.values = {
      notify: typeof v.notify === 'boolean' ? v.notify : DEFAULTS.notify,
      asked: typeof v.asked === 'boolean' ? v.asked : DEFAULTS.asked,
      livePreview: typeof v.livePreview === 'boolean' ? v.livePreview : DEFAULTS.livePreview,
    };
    const list = load<unknown>(IGNORE_KEY, []);
    this.ignoredNames = new Set(Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []);
    // Another tab changed them: follow.
    addEventListener('storage', (e) => {
      if (e.key !== IGNORE_KEY && e.key !== PREFS_KEY) return;
      const fresh = new Prefs();
      this.values = fresh.values;
      this.ignoredNames = fresh.ignoredNames;
      this.changed();
    });
  }

  get<K extends keyof PrefValues>(k: K): PrefValues[K] {
    return this.values[k];
  }

  set<K extends keyof PrefValues>(k: K, v: PrefValues[K]): void {
    this.values[k] = v;
    save(PREFS_KEY, this.values);
    this.changed();
  }

  ignores(name: string): boolean {
    return this.ignoredNames.has(name);
  }

  ignored(): string[] {
    return [...this.ignoredNames].sort();
  }

  setIgnored(name: string, on: boolean): void {
    if (on) this.ignoredNames.add(name);
    else this.ignoredNames.delete(name);
    save(IGNORE_KEY, [...this.ignoredNames]);
    this.changed();
  }

  onChange(f: () => void): void {
    this.listeners.push(f);
  }

  private changed(): void {
    for (const f of this.listeners) f();
  }
}
