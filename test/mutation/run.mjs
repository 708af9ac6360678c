#!/usr/bin/env node
// Mutation check (`npm run mutate`): flips one mod_smacks rule at a time in a scratch copy of the
// repository and runs the rule tests; every mutant must make at least one test fail ("killed").
// Prints one line per mutant and exits 1 if any survives. Slow (about 10 s a mutant): not part of
// `npm test`.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const mutants = JSON.parse(readFileSync(join(root, 'test/mutation/mutants.json'), 'utf8'));
const only = process.argv.slice(2);
const testDirs = ['test/smacks', 'test/world', 'test/server'];
let survivors = 0;
for (const mutant of mutants) {
  if (only.length > 0 && !only.includes(mutant.id)) continue;
  const scratch = mkdtempSync(join(tmpdir(), `smacksim-mutant-${mutant.id}-`));
  try {
    for (const entry of ['src', 'test', 'sims', 'package.json', 'tsconfig.json']) cpSync(join(root, entry), join(scratch, entry), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
    const file = join(scratch, mutant.file);
    const text = readFileSync(file, 'utf8');
    if (!text.includes(mutant.find)) {
      console.log(`STALE    ${mutant.id}: the text to mutate is no longer in ${mutant.file}`);
      survivors++;
      continue;
    }
    writeFileSync(file, text.replace(mutant.find, mutant.replace));
    let killed = false;
    try {
      execFileSync('npx', ['vitest', 'run', ...testDirs], { cwd: scratch, stdio: 'pipe', timeout: 300_000 });
    } catch {
      killed = true;
    }
    if (!killed) survivors++;
    console.log(`${killed ? 'killed  ' : 'SURVIVED'} ${mutant.id}: ${mutant.rule}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
console.log(survivors === 0 ? 'every mutant was killed' : `${survivors} mutant(s) survived`);
process.exitCode = survivors === 0 ? 0 : 1;

