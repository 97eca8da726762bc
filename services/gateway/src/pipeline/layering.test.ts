import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '..');

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Imports of `file` that resolve into `src/http/`. */
function httpImports(file: string): string[] {
  const specifiers = [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.filter((s) => path.resolve(path.dirname(file), s).startsWith(path.join(SRC, 'http') + path.sep));
}

// STYLE.md rule 1 within the gateway (issue 17): http/ is the edge that depends on the pipeline, never the reverse.
describe('layering', () => {
  it.each(['pipeline', 'proxy'])('%s/ imports nothing from http/', (dir) => {
    const offending = sourcesUnder(path.join(SRC, dir)).flatMap((file) => httpImports(file).map((s) => `${path.relative(SRC, file)} → ${s}`));
    expect(offending).toEqual([]);
  });
});
