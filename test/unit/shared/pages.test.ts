import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isStaticImage, PAGE_NAMES } from '../../../src/shared/pages.js';

describe('what a message may make every reader fetch', () => {
  it('knows every page there is (handlers/pages/)', () => {
    const pages = readdirSync(join(import.meta.dirname, '..', '..', '..', 'handlers', 'pages'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
    assert.deepEqual([...PAGE_NAMES].sort(), pages);
  });

  for (const path of ['emoticons/heart.svg', 'img/cat.PNG', 'a/b/c.jpeg', 'photo.webp']) {
    it(`shows the static image ${path}`, () => assert.equal(isStaticImage(path, ''), true));
  }

  const refused: [string, string][] = [
    ['history', '?room=lobby&q=x'],
    ['history', ''],
    ['rooms', ''],
    ['settings', ''],
    ['chat', '?room=a'],
    ['history/x.png', ''], // websocketd runs history, with PATH_INFO=/x.png
    ['HISTORY/x.png', ''],
    ['%68istory/x.png', ''],
    ['emoticons/heart.svg', '?q=x'],
    ['emoticons/', ''],
    ['lobby', ''],
    ['a%2Fhistory%2Fb.png', ''],
    ['bad%zz.png', ''],
  ];
  for (const [path, query] of refused) {
    it(`does not fetch ${path}${query}`, () => assert.equal(isStaticImage(path, query), false));
  }
});
