import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { startProgress } from '../../../src/replay/progress.ts';

function stream(isTTY: boolean) {
  const out = new PassThrough() as PassThrough & { isTTY: boolean; columns: number; cursorTo: () => boolean; clearLine: () => boolean; moveCursor: () => boolean };
  Object.assign(out, { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out: out as unknown as NodeJS.WriteStream, text: () => text };
}

test('on a terminal, progress is a bar with count, rate and ETA', () => {
  const { out, text } = stream(true);
  const progress = startProgress('replay', 4, out);
  for (let i = 0; i < 4; i++) progress.tick();
  progress.stop();
  expect(text()).toMatch(/replay \[.*\] 100% \| 4\/4 \| \d+\/s \| ETA/);
});

test('elsewhere, progress is plain lines without control characters', () => {
  const { out, text } = stream(false);
  const progress = startProgress('redrive', 3, out);
  progress.tick();
  progress.tick();
  progress.tick();
  progress.stop();
  expect(text()).toMatch(/^redrive: 3\/3 \(100%\), \d+\/s, ETA 0s\n$/);
  expect(text()).not.toContain(String.fromCharCode(27));
});
