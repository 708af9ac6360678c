/**
 * The built-in scenario `smacksim run` uses when given no file: a small realistic population on a
 * lossy mobile network for a virtual day. sims/default-mobile-day.json holds the same document.
 */
export const defaultScenarioDocument = {
  name: 'default-mobile-day',
  description:
    'Twenty phones that resume (Conversations-like), each writing about six chat messages an hour to the others, ' +
    'for a virtual day on a lossy cellular network: frame retransmissions, resets every two hours, black holes ' +
    '(NAT rebinding, basements: up to 30 min) every three hours and outages (tunnels) every hour. Prosody 0.12.3 defaults.',
  duration: '1d',
  population: {
    groups: [{ name: 'phone', count: 20, model: 'mobile', network: 'lossy-mobile', messagesPerHour: 6 }],
  },
} as const;
