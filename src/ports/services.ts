/**
 * What runs on the swarm, as the service commands and the watch see it:
 * services with their status, their tasks, their logs, and the one change a
 * service command sends. Env values, secret and config contents never cross
 * this port: names only.
 */

/** Docker's rollout states (`UpdateStatus.State`); absent after a scale or once a plain update settled. */
export type UpdateState = 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';

/** A service as the bot reads it: what a person needs, never an env value, secret or config content. */
export interface SwarmService {
  id: string;
  name: string;
  /** `Version.Index`: moves on every write, Docker's own status writes included */
  version: number;
  mode: 'replicated' | 'global' | 'job';
  /** replicated: the desired count */
  replicas?: number;
  /** ServiceStatus: tasks running now, and desired (global: eligible nodes) */
  running: number;
  desired: number;
  image: string;
  /** the `com.docker.stack.namespace` label */
  stack?: string;
  update?: { state: UpdateState; message: string; startedAt?: Date; completedAt?: Date };
  updateConfig: { parallelism: number; delayMs: number; failureAction: string; monitorMs: number; order: string };
  /** what `rollback` returns to (PreviousSpec) */
  previous?: { image: string; replicas?: number; fingerprint: string };
  forceUpdate: number;
  tty: boolean;
  logDriver?: string;
  ports: Array<{ published?: number; target?: number; protocol: string; mode: string }>;
  constraints: string[];
  networks: string[];
  secrets: string[];
  configs: string[];
  /** env variable names, never values */
  envNames: string[];
  /** a hash of the spec: what the watch compares to tell a change from Docker's own status writes */
  fingerprint: string;
  updatedAt?: Date;
}

/** One task of a service. */
export interface SwarmTask {
  id: string;
  serviceId: string;
  slot?: number;
  nodeId?: string;
  state: string;
  desiredState: string;
  message: string;
  error?: string;
  exitCode?: number;
  image: string;
  at: Date;
}

export interface LogLine {
  /** RFC 3339 with nanoseconds, UTC: sorts as text */
  at: string;
  taskId: string;
  nodeId: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ServicesRead {
  /** every service with its running/desired counts: one request */
  list(): Promise<SwarmService[]>;
  /** by name, ID or a unique ID prefix; undefined when none */
  inspect(idOrName: string): Promise<SwarmService | undefined>;
  /** tasks of these services (all of them when omitted): one request; `upToDate` keeps those on the current spec */
  tasks(f?: { serviceIds?: string[]; upToDate?: boolean }): Promise<SwarmTask[]>;
  /** the last `tail` lines of each task since `sinceMs`, with Docker's in-band errors */
  logs(serviceId: string, o: { sinceMs: number; tail: number }): Promise<{ lines: LogLine[]; errors: string[] }>;
}

export type ServiceChange = { kind: 'scale'; replicas: number } | { kind: 'restart' } | { kind: 'image'; image: string } | { kind: 'rollback' };

export interface ServicesWrite {
  /** the whole spec re-read and sent back with one change (Docker's `rollback=previous` for a rollback) */
  update(serviceId: string, change: ServiceChange): Promise<{ warnings: string[] }>;
}
