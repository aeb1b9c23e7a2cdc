/**
 * Runs every `*.test.ts` of this folder in one process, so the synthesized apps (cached per context in
 * `helpers.ts`) are shared between them: `npm test`. A single file runs on its own with
 * `node --import tsx --test test/NAME.test.ts`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.ts')).sort()) {
  require(path.join(__dirname, file));
}
