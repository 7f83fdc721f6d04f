import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { LAYERS } from '../../eslint.config.js';

const src = path.resolve(import.meta.dirname, '../../src');

/** Every relative import and re-export of src/ (type-only ones too), as [importing folder, imported folder, line]. */
async function importEdges(): Promise<[string, string, string][]> {
  const edges: [string, string, string][] = [];
  for (const entry of await readdir(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ts|mts|mjs)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'(\.[^']+)'/gm)].map((match) => match[1]!);
    for (const specifier of specifiers) {
      const target = path.relative(src, path.resolve(path.dirname(file), specifier));
      const [from, to] = [path.relative(src, file).split(path.sep)[0]!, target.split(path.sep)[0]!];
      if (from !== to) edges.push([from, to, `${path.relative(src, file)} -> ${target}`]);
    }
  }
  return edges;
}

test('the import graph of src/ has no arrow from a lower layer to a higher one, nor between peers', async () => {
  const rank = new Map(LAYERS.flatMap((layer, index) => layer.map((folder) => [folder, index] as const)));
  const folders = (await readdir(src, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  expect(folders.filter((folder) => !rank.has(folder)), 'every folder of src/ has a layer').toEqual([]);

  const edges = await importEdges();
  expect(edges.length, 'the walk finds the imports').toBeGreaterThan(100);
  const upward = edges.filter(([from, to]) => !(rank.get(to)! < rank.get(from)!)).map(([, , line]) => line);
  expect(upward).toEqual([]);
  // The arrows this layering was made to remove stay removed.
  expect(edges.filter(([from, to]) => (from === 'activity' || from === 'router' || from === 'signal') && to === 'workflow')).toEqual([]);
  expect(edges.some(([from, to]) => from === 'activity' && to === 'contract')).toBe(true);
});
