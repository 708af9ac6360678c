import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/scenario/errors.js';
import { readScenario } from '../../src/scenario/schema.js';

const source = 'sims/test.json';

/** A small valid scripted scenario; each test breaks one thing in a copy. */
function scripted(): Record<string, unknown> {
  return {
    name: 'two-friends',
    server: { smacks_hibernation_time: 60 },
    accounts: ['alice', 'bob'],
    clients: {
      alice: { account: 'alice', resource: 'phone' },
      bob: { account: 'bob', resource: 'laptop' },
    },
    script: [
      { do: 'login', client: 'alice' },
      { do: 'login', client: 'bob' },
      { do: 'send', client: 'alice', xml: "<message to='bob@localhost/laptop' type='chat' id='m1'><body>one</body></message>" },
      { at: '30s', do: 'ack', client: 'bob' },
    ],
  };
}

function population(): Record<string, unknown> {
  return {
    name: 'phones',
    duration: '2h',
    population: { groups: [{ name: 'phone', count: 5, model: 'mobile', network: 'lossy-mobile', messagesPerHour: 6 }] },
  };
}

function refusal(document: unknown): ScenarioError {
  try {
    readScenario(source, document);
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error('the scenario was accepted');
}

function steps(document: Record<string, unknown>): Array<Record<string, unknown>> {
  return document.script as Array<Record<string, unknown>>;
}

describe('readScenario accepts', () => {
  it('the scripted example with defaults filled in', () => {
    const scenario = readScenario(source, scripted());
    expect(scenario.name).toBe('two-friends');
    expect(scenario.seed).toBe(1);
    expect(scenario.host).toBe('localhost');
    expect(scenario.server).toEqual({ smacks_hibernation_time: 60 });
    expect(scenario.accounts).toEqual([
      { username: 'alice', password: 'alicepass' },
      { username: 'bob', password: 'bobpass' },
    ]);
    expect([...scenario.clients.keys()]).toEqual(['alice', 'bob']);
    expect(scenario.clients.get('bob')?.resource).toBe('laptop');
    expect(scenario.script.map((step) => step.do)).toEqual(['login', 'login', 'send', 'ack']);
    expect(scenario.script[3]?.atMs).toBe(30_000);
    expect(scenario.script[0]?.atMs).toBeUndefined();
    expect(scenario.script[0]?.timeoutMs).toBe(60_000);
  });

  it('a population with a duration in hours', () => {
    const scenario = readScenario(source, population());
    expect(scenario.durationMs).toBe(7_200_000);
    expect(scenario.groups).toHaveLength(1);
    expect(scenario.groups[0]?.count).toBe(5);
    expect(scenario.groups[0]?.messagesPerHour).toBe(6);
    expect(scenario.script).toEqual([]);
  });

  it('numeric strings for number settings, as Prosody get_option_number does', () => {
    const document = scripted();
    document.server = { smacks_hibernation_time: '600', smacks_max_queue_size: '0x20', read_timeout: ' 840 ', offline: 'false' };
    expect(readScenario(source, document).server).toEqual({
      smacks_hibernation_time: 600,
      smacks_max_queue_size: 32,
      read_timeout: 840,
      offline: false,
    });
  });
});

describe('readScenario refuses, naming the source, the field, the bad value and what is allowed', () => {
  it('an unknown top-level key', () => {
    const document = { ...scripted(), sever: { read_timeout: 10 } };
    const error = refusal(document);
    expect(error.source).toBe(source);
    expect(error.path).toBe('sever');
    expect(error.message).toContain("sims/test.json: sever: unknown field 'sever'");
    expect(error.message).toContain('allowed: ');
    expect(error.message).toContain('server');
    expect(error.message).toContain('script');
  });

  it('an unknown field in a step', () => {
    const document = scripted();
    steps(document)[2]!.colour = 'blue';
    const error = refusal(document);
    expect(error.path).toBe('script[2].colour');
    expect(error.message).toContain("sims/test.json: script[2].colour: unknown field 'colour'");
    expect(error.message).toContain("for 'send': client, xml");
  });

  it('an unknown step kind', () => {
    const document = scripted();
    steps(document)[2]!.do = 'jump';
    const error = refusal(document);
    expect(error.path).toBe('script[2].do');
    expect(error.value).toBe('jump');
    expect(error.message).toContain('sims/test.json: script[2].do: not one of the allowed values (got "jump")');
    expect(error.message).toContain('allowed: login, bind, send, send-raw, ack, request-ack, resume, close, disconnect');
  });

  it('a step without its client', () => {
    const document = scripted();
    delete steps(document)[1]!.client;
    const error = refusal(document);
    expect(error.path).toBe('script[1].client');
    expect(error.message).toContain('sims/test.json: script[1].client: missing required field');
  });

  it('a step for a client that was never declared', () => {
    const document = scripted();
    steps(document)[1]!.client = 'carol';
    const error = refusal(document);
    expect(error.path).toBe('script[1].client');
    expect(error.message).toBe('sims/test.json: script[1].client: no such client (got "carol"); allowed: alice, bob');
  });

  it('a client whose account was never declared', () => {
    const document = scripted();
    document.accounts = ['alice'];
    const error = refusal(document);
    expect(error.path).toBe('clients.bob.account');
    expect(error.message).toBe('sims/test.json: clients.bob.account: no such account (got "bob"); allowed: alice');
  });

  it('a duration string it cannot read', () => {
    const document = scripted();
    steps(document)[3]!.at = '30 seconds';
    const error = refusal(document);
    expect(error.path).toBe('script[3].at');
    expect(error.message).toContain('sims/test.json: script[3].at: not a duration (got "30 seconds")');
    expect(error.message).toContain('"250ms", "30s", "5m", "2h", "1d"');
  });

  it('smacks_max_queue_size 0, which Prosody asserts against', () => {
    const document = scripted();
    document.server = { smacks_max_queue_size: 0 };
    const error = refusal(document);
    expect(error.path).toBe('server.smacks_max_queue_size');
    expect(error.message).toBe(
      'sims/test.json: server.smacks_max_queue_size: invalid value for smacks_max_queue_size (got 0); allowed: an integer > 0',
    );
  });

  it('smacks_hibernation_time "abc"', () => {
    const document = scripted();
    document.server = { smacks_hibernation_time: 'abc' };
    const error = refusal(document);
    expect(error.path).toBe('server.smacks_hibernation_time');
    expect(error.message).toBe(
      'sims/test.json: server.smacks_hibernation_time: invalid value for smacks_hibernation_time (got "abc"); allowed: a number >= 0',
    );
  });

  it('a setting name Prosody does not have', () => {
    const document = scripted();
    document.server = { smacks_max_queue: 100 };
    const error = refusal(document);
    expect(error.path).toBe('server.smacks_max_queue');
    expect(error.message).toContain("sims/test.json: server.smacks_max_queue: unknown setting 'smacks_max_queue'");
    expect(error.message).toContain('allowed: variant, smacks_hibernation_time,');
    expect(error.message).toContain('smacks_max_queue_size');
  });

  it('conflict_resolve "nope"', () => {
    const document = scripted();
    document.server = { conflict_resolve: 'nope' };
    const error = refusal(document);
    expect(error.path).toBe('server.conflict_resolve');
    expect(error.message).toBe(
      'sims/test.json: server.conflict_resolve: invalid value for conflict_resolve (got "nope"); allowed: kick_old, kick_new, increment, random',
    );
  });

  it('a scenario with neither script nor population', () => {
    const error = refusal({ name: 'empty' });
    expect(error.path).toBe('');
    expect(error.message).toContain('sims/test.json: (top level): a scenario needs a `script` or a `population`');
  });

  it('a population without a duration', () => {
    const document = population();
    delete document.duration;
    const error = refusal(document);
    expect(error.path).toBe('duration');
    expect(error.message).toContain('sims/test.json: duration: a population needs a duration');
    expect(error.message).toContain('allowed: a duration > 0');
  });

  it('a population group with count 0', () => {
    const document = population();
    (document.population as { groups: Array<Record<string, unknown>> }).groups[0]!.count = 0;
    const error = refusal(document);
    expect(error.path).toBe('population.groups[0].count');
    expect(error.message).toBe('sims/test.json: population.groups[0].count: out of range (got 0); allowed: an integer >= 1 <= 100000');
  });

  it('a send step whose XML is not well-formed', () => {
    const document = scripted();
    steps(document)[2]!.xml = "<message to='bob@localhost/laptop'><body>one</message>";
    const error = refusal(document);
    expect(error.path).toBe('script[2].xml');
    expect(error.message).toContain('sims/test.json: script[2].xml: not well-formed XML');
    expect(error.message).toContain('use send-raw for malformed input');
    expect(error.message).toContain("<message to='bob@localhost/laptop'>");
  });

  it('a document that is not an object', () => {
    const error = refusal([1, 2, 3]);
    expect(error.message).toBe('sims/test.json: (top level): expected an object (got [1,2,3])');
  });
});
