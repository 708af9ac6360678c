/** Reading scenario files: the file system stays in the CLI layer. */
import { readFileSync } from 'node:fs';
import { defaultScenarioDocument } from '../scenario/default.js';
import { ScenarioError } from '../scenario/errors.js';
import { type Scenario, readScenario } from '../scenario/schema.js';

export function loadScenarioFile(path: string): Scenario {
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
  return readScenario(path, raw);
}

export function loadScenario(path: string | undefined): Scenario {
  return path === undefined ? readScenario('(built-in default)', defaultScenarioDocument) : loadScenarioFile(path);
}
