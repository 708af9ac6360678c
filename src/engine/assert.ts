/**
 * Assertions are for programmer errors only (TigerStyle): what a peer or the network can cause is a
 * typed result elsewhere. A failed assertion stops the run; the CLI prints the seed to replay it.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** A run hit one of its bounds (events, virtual time): reported as a failure, never a hang. */
export class LimitError extends Error {
  override name = 'LimitError';
}
