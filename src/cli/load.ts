/** Reading scenario files: the file system stays in the CLI layer. */
import { readFileSync } from 'node:fs';
import { defaultScenarioDocument } from '../scenario/default.js';
import { ScenarioError } from '../scenario/errors.js';
import { type Scenario, readScenario } from '../scenario/schema.js';

/** A scenario file as its JSON document, or the built-in default's (check keeps the document: repro files carry it). */
export function readDocument(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return structuredClone(defaultScenarioDocument) as unknown as Record<string, unknown>;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(path, '', `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(path, '', `not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ScenarioError(path, '', 'expected an object', raw);
  return raw as Record<string, unknown>;
}

export function loadScenarioFile(path: string): Scenario {
  return readScenario(path, readDocument(path));
}

export function loadScenario(path: string | undefined): Scenario {
  return path === undefined ? readScenario('(built-in default)', defaultScenarioDocument) : loadScenarioFile(path);
}
