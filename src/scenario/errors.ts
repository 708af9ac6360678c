/** A scenario or setting that cannot run, with where and why: the CLI prints it and exits 2. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(
    readonly source: string,
    readonly path: string,
    readonly reason: string,
    readonly value?: unknown,
    readonly allowed?: string,
  ) {
    super(
      `${source}: ${path === '' ? '(top level)' : path}: ${reason}` +
        (value === undefined ? '' : ` (got ${describe(value)})`) +
        (allowed === undefined ? '' : `; allowed: ${allowed}`),
    );
  }
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
