// The tools around the message box: /me, dice, the colour picker, emoticons, the
// settings dialog, and connect/disconnect with the connection's state beside it. Each
// either edits the draft or sends a slash command: the server does the rest.

import type { Composer } from './composer.js';
import type { ConnState, Connection } from './connection.js';
import { byId, el } from './dom.js';
import { EMOTICONS } from '../shared/emoticons.js';
import type { MessageLog } from './messages.js';
import type { Notifier } from './notify.js';
import type { Prefs } from './prefs.js';

export interface ToolbarOptions {
  conn: Connection;
  composer: Composer;
  log: Pick<MessageLog, 'note'>;
  prefs: Prefs;
  notifier: Pick<Notifier, 'supported'>;
}

export interface Toolbar {
  showState(s: ConnState): void;
  /** Shows my colour as the server has it (undefined, one it did not validate, leaves the picker be). */
  showColor(c: string | undefined): void;
}

// Closures rather than a class, as in composer.ts: local names minify, properties do not.
export function wireToolbar(o: ToolbarOptions): Toolbar {
  const { conn, composer, log } = o;
  const command = (text: string) => {
    if (!conn.send({ type: 'msg', text })) log.note('Not connected.');
  };

  byId('btn-me', HTMLButtonElement).addEventListener('click', () => composer.prefix('/me '));
  const colour = byId('colour', HTMLInputElement);
  colour.addEventListener('change', () => command(`/color ${colour.value}`));
  wireDice(command);
  wireEmoticons(composer);
  wireSettings(o);

  const state = byId('conn', HTMLElement);
  const connButton = byId('btn-connect', HTMLButtonElement);
  // Made once: the countdown ticks every second, and a rebuilt button would lose its focus.
  const retry = el('button', { type: 'button', class: 'link' }, 'Retry now');
  const countdown = el('span', {});
  retry.addEventListener('click', () => conn.retryNow());
  setInterval(() => {
    if (conn.state.kind === 'waiting') countdown.textContent = secondsLeft(conn.state.until);
  }, 1000);
  connButton.addEventListener('click', () => {
    if (conn.state.kind === 'offline' || conn.state.kind === 'stopped') conn.start();
    else {
      conn.stop();
      log.note('You disconnected.');
    }
  });

  return {
    showState: (s) => {
      state.dataset.state = s.kind;
      switch (s.kind) {
        case 'connecting':
          state.replaceChildren(s.attempt ? 'Reconnecting…' : 'Connecting…');
          break;
        case 'online':
          state.replaceChildren('Online');
          break;
        case 'waiting':
          countdown.textContent = secondsLeft(s.until);
          state.replaceChildren('Connection lost. Retrying in ', countdown, ' s ', retry);
          break;
        case 'offline':
          state.replaceChildren('Disconnected');
          break;
        case 'stopped':
          state.replaceChildren(`Disconnected: ${s.reason}`);
          break;
      }
      connButton.textContent = s.kind === 'offline' || s.kind === 'stopped' ? 'Connect' : 'Disconnect';
    },
    showColor: (c) => {
      if (c) colour.value = c;
    },
  };
}

function secondsLeft(until: number): string {
  return String(Math.max(1, Math.round((until - Date.now()) / 1000)));
}

function wireDice(command: (text: string) => void): void {
  const dialog = byId('dice-dialog', HTMLDialogElement);
  const form = byId('dice-form', HTMLFormElement);
  byId('btn-dice', HTMLButtonElement).addEventListener('click', () => dialog.showModal());
  form.addEventListener('submit', (e) => {
    if (!(e.submitter instanceof HTMLButtonElement) || e.submitter.value !== 'roll') return; // Cancel
    const f = new FormData(form);
    const again = String(f.get('again') ?? '').trim();
    command(`/dice ${String(f.get('count'))} ${String(f.get('sides'))}${again ? ` ${again}` : ''}`);
  });
}

function wireEmoticons(composer: Composer): void {
  const menu = byId('emoticon-menu', HTMLElement);
  const button = byId('btn-emoticons', HTMLButtonElement);
  for (const e of EMOTICONS) {
    const code = e.codes[0] ?? '';
    const b = el(
      'button',
      { type: 'button', title: `${code} ${e.label}`, 'aria-label': e.label },
      el('img', { src: `emoticons/${e.file}.svg`, alt: '', width: 20, height: 20 }),
    );
    b.addEventListener('click', () => {
      composer.insert(`${code} `);
      menu.hidden = true;
    });
    menu.append(b);
  }
  button.addEventListener('click', () => {
    menu.hidden = !menu.hidden;
    button.setAttribute('aria-expanded', String(!menu.hidden));
    if (!menu.hidden) menu.querySelector('button')?.focus();
  });
  menu.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      menu.hidden = true;
      button.focus();
    }
  });
}

function wireSettings({ prefs, notifier, composer }: ToolbarOptions): void {
  const dialog = byId('settings-dialog', HTMLDialogElement);
  const notifyBox = byId('pref-notify', HTMLInputElement);
  const previewBox = byId('pref-preview', HTMLInputElement);
  const ignoredList = byId('ignored', HTMLUListElement);
  const show = () => {
    notifyBox.checked = prefs.get('notify');
    notifyBox.disabled = !notifier.supported;
    previewBox.checked = prefs.get('livePreview');
    const names = prefs.ignored();
    ignoredList.replaceChildren(
      ...(names.length
        ? names.map((n) => {
            const b = el('button', { type: 'button' }, 'Unignore');
            b.addEventListener('click', () => prefs.setIgnored(n, false));
            return el('li', {}, n, ' ', b);
          })
        : [el('li', { class: 'empty' }, 'nobody')]),
    );
  };
  prefs.onChange(show);
  byId('btn-settings', HTMLButtonElement).addEventListener('click', () => {
    show();
    dialog.showModal();
  });
  notifyBox.addEventListener('change', () => {
    prefs.set('notify', notifyBox.checked);
    if (notifyBox.checked && 'Notification' in window && Notification.permission === 'default') void Notification.requestPermission();
  });
  previewBox.addEventListener('change', () => {
    prefs.set('livePreview', previewBox.checked);
    composer.sharePreview(true);
  });
}
