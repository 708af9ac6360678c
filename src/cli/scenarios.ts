/**
 * `smacksim scenarios [dir]`: every scenario file under sims/ (or `dir`), grouped by folder, with its
 * name and the first sentence of its description. A file that is not valid JSON is listed with the
 * reason, so a broken file shows up here before a run refuses it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

export interface ScenarioEntry {
  /** Path relative to the listed directory. */
  file: string;
  name: string;
  /** The description's first sentence (or a note why there is none). */
  summary: string;
}

/** The first sentence: up to the first `.`, `!` or `?` followed by a space or the end. */
export function firstSentence(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  const match = /^(.+?[.!?])(\s|$)/.exec(trimmed);
  return match === null ? trimmed : match[1]!;
}

function jsonFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...jsonFiles(path));
    else if (entry.name.endsWith('.json')) files.push(path);
  }
  return files;
}

export function listScenarios(dir: string): ScenarioEntry[] {
  return jsonFiles(dir).map((path) => {
    const file = relative(dir, path);
    try {
      const raw = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; description?: unknown };
      const name = typeof raw.name === 'string' ? raw.name : '(no name)';
      const summary = typeof raw.description === 'string' && raw.description.trim() !== '' ? firstSentence(raw.description) : '(no description)';
      return { file, name, summary };
    } catch (error) {
      return { file, name: '(unreadable)', summary: `not valid JSON: ${(error as Error).message}` };
    }
  });
}

/** The listing as printed: a heading per folder (`.` for the top), then `file  name — summary`. */
export function formatScenarioList(entries: readonly ScenarioEntry[]): string {
  const byFolder = new Map<string, ScenarioEntry[]>();
  for (const entry of entries) {
    const slash = entry.file.lastIndexOf('/');
    const folder = slash === -1 ? '.' : entry.file.slice(0, slash);
    let list = byFolder.get(folder);
    if (list === undefined) {
      list = [];
      byFolder.set(folder, list);
    }
    list.push(entry);
  }
  const lines: string[] = [];
  for (const folder of [...byFolder.keys()].sort((a, b) => (a === '.' ? -1 : b === '.' ? 1 : a.localeCompare(b)))) {
    if (lines.length > 0) lines.push('');
    lines.push(folder === '.' ? 'sims/' : `sims/${folder}/`);
    for (const entry of byFolder.get(folder)!) {
      const base = entry.file.slice(entry.file.lastIndexOf('/') + 1);
      lines.push(`  ${base}  ${entry.name} — ${entry.summary}`);
    }
  }
  return lines.join('\n');
}

/** `smacksim scenarios [dir]` (default: the sims/ folder shipped with the package). */
export function registerScenariosCommand(program: Command): void {
  program
    .command('scenarios')
    .description('list every scenario under sims/ (or DIR) by folder, with its name and the first sentence of its description')
    .argument('[dir]', 'a folder of scenario files', fileURLToPath(new URL('../../sims/', import.meta.url)))
    .action((dir: string) => {
      process.stdout.write(`${formatScenarioList(listScenarios(dir))}\n`);
    });
}
