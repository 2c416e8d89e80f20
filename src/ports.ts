/**
 * The narrow ports the application owns. Adapters in src/adapters implement
 * them; actions and the worker see only these shapes:
 *
 * - `ports/swarm.ts`: the swarm, by concern, each split into reads and changes;
 * - `ports/services.ts`: what runs on it: services, tasks, logs, one change;
 * - `ports/state.ts`: the bot's own state (claims, approvals, audit, the watch);
 * - `ports/edges.ts`: configuration, Slack, the job queue, the clock.
 */
export * from './ports/edges.js';
export * from './ports/state.js';
export * from './ports/services.js';
export * from './ports/swarm.js';
