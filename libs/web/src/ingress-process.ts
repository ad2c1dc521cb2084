import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '@nestjs/common';
import { AggregatorRegistry, Counter, Gauge, type Registry } from 'prom-client';
import type { AppConfigService } from '@mft/config';

/** Where the SFTP ingress of `npm start` runs. */
export type IngressPlacement = 'off' | 'inline' | 'separate';

/**
 * Where the ingress runs: nowhere with `SFTP_PORT=off`; in a process of its own on PostgreSQL (the
 * SSH encryption of many sessions then never delays an HTTP answer of this process); in this
 * process on the embedded database, which only one process can open. Throws a message naming
 * `SFTP_PROCESS` when "separate" is asked for on the embedded database.
 */
export function ingressPlacement(config: AppConfigService, database: 'postgres' | 'pglite'): IngressPlacement {
  const { port, process: wanted } = config.sftp;
  if (port === 'off') {
    return 'off';
  }
  if (wanted === 'separate' && database === 'pglite') {
    throw new Error(
      'Invalid configuration: sftp.process (SFTP_PROCESS) is "separate", but the embedded database can be opened by one process only. Set DATABASE_URL to a PostgreSQL server, or SFTP_PROCESS=inline (or auto).',
    );
  }
  return wanted === 'inline' || (wanted === 'auto' && database === 'pglite') ? 'inline' : 'separate';
}

/** The environment variable that tells an ingress process it was started by a gateway, to report to it. */
export const SUPERVISED_ENV = 'MFT_SUPERVISED_INGRESS';

/** A registry's metrics as `getMetricsAsJSON` gives them. */
type MetricsJson = object[];

/** Messages between the gateway and its ingress process (over the IPC channel of `fork`). */
type ToParent = { readonly type: 'ready' } | { readonly type: 'metrics'; readonly id: number; readonly metrics: MetricsJson };
type ToChild = { readonly type: 'metrics'; readonly id: number };

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** A process that ran this long before it ended is restarted after the shortest delay again. */
const STABLE_MS = 60_000;
const METRICS_TIMEOUT_MS = 3000;

/**
 * The SFTP ingress in a supervised child process (`dist/apps/sftp-ingress/main.js`, the same
 * configuration and environment). `start` resolves once the child listens, and rejects when it
 * exits before (its own error is on the shared standard error): the gateway then does not start,
 * as it would not with the ingress inline. A child that ends later is restarted after 1 s, doubling
 * up to 30 s while it keeps failing. The child ends itself when this process goes away, however
 * abruptly (its IPC channel closes). Its Prometheus metrics are merged into this process's scrape.
 */
export class IngressProcess {
  #child: ChildProcess | null = null;
  #state: 'starting' | 'ok' | 'restarting' | 'stopped' = 'starting';
  #lastExit = '';
  #delayMs = RESTART_MIN_MS;
  #restartTimer: NodeJS.Timeout | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, (m: MetricsJson) => void>();
  readonly #up: Gauge;
  readonly #restarts: Counter;

  constructor(
    private readonly entry: string,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.#up = new Gauge({ name: 'mft_sftp_ingress_up', help: 'Whether the SFTP ingress process is running and listening (1) or not (0)', registers: [registry] });
    this.#restarts = new Counter({ name: 'mft_sftp_ingress_restarts_total', help: 'Times the SFTP ingress process ended unexpectedly and was started again', registers: [registry] });
  }

  /** Starts the child; resolves once it listens, rejects with its exit when it ends first. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#spawn(resolve, reject));
  }

  /** For /readyz: "ok", "starting", or why it is being restarted. */
  get status(): string {
    return this.#state === 'restarting' ? `restarting (${this.#lastExit})` : this.#state;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** The child's metrics as prom-client JSON; none while it is down or slow to answer. */
  async metrics(): Promise<MetricsJson> {
    const child = this.#child;
    if (!child?.connected || this.#state !== 'ok') {
      return [];
    }
    const id = this.#nextId++;
    return new Promise<MetricsJson>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve([]);
      }, METRICS_TIMEOUT_MS);
      this.#pending.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.send({ type: 'metrics', id } satisfies ToChild, (err) => {
        if (err) {
          this.#pending.delete(id);
          clearTimeout(timer);
          resolve([]);
        }
      });
    });
  }

  /** Stops the child (SIGTERM: it finishes its drops and closes its sessions), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.#state = 'stopped';
    if (this.#restartTimer) {
      clearTimeout(this.#restartTimer);
    }
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    kill.unref();
    await exited;
    clearTimeout(kill);
  }

  #spawn(onReady?: () => void, onEarlyExit?: (err: Error) => void): void {
    const startedAt = Date.now();
    let ready = false;
    const child = fork(this.entry, [], { env: { ...process.env, [SUPERVISED_ENV]: '1' }, execArgv: process.execArgv, stdio: 'inherit' });
    this.#child = child;
    // An error listener first: a failed spawn or IPC send must not end this process.
    child.on('error', (err) => this.log.error({ msg: 'SFTP ingress process error', err: err.message }));
    child.on('message', (raw: unknown) => {
      const m = raw as ToParent;
      if (m?.type === 'ready' && !ready) {
        ready = true;
        this.#state = 'ok';
        this.#up.set(1);
        this.log.log({ msg: 'SFTP ingress process listening', pid: child.pid });
        onReady?.();
      } else if (m?.type === 'metrics' && typeof m.id === 'number' && Array.isArray(m.metrics)) {
        this.#pending.get(m.id)?.(m.metrics);
        this.#pending.delete(m.id);
      }
    });
    child.once('exit', (code, signal) => {
      this.#up.set(0);
      const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
      if (this.#state === 'stopped') {
        return;
      }
      if (!ready && onEarlyExit) {
        onEarlyExit(new Error(`The SFTP ingress process ended before it listened (${how}); its error is above. SFTP_PORT=off turns the ingress off.`));
        this.#state = 'stopped';
        return;
      }
      this.#restarts.inc();
      this.#lastExit = how;
      this.#state = 'restarting';
      this.#delayMs = Date.now() - startedAt > STABLE_MS ? RESTART_MIN_MS : this.#delayMs;
      this.log.error({ msg: 'SFTP ingress process ended; starting it again', how, restartInSeconds: this.#delayMs / 1000 });
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = null;
        if (this.#state !== 'stopped') {
          this.#spawn();
        }
      }, this.#delayMs);
      this.#delayMs = Math.min(RESTART_MAX_MS, this.#delayMs * 2);
    });
  }
}

/** This process's scrape text with the ingress process's metrics merged in (counters summed). */
export async function mergedMetrics(registry: Registry, ingress: IngressProcess): Promise<string> {
  const theirs = await ingress.metrics();
  if (theirs.length === 0) {
    return registry.metrics();
  }
  return AggregatorRegistry.aggregate([await registry.getMetricsAsJSON(), theirs]).metrics();
}

/**
 * The ingress side, when a gateway started this process: reports that it listens, answers metrics
 * requests, and ends (gracefully, through `stop`) when the gateway's channel closes, so that no
 * ingress outlives the gateway that supervises it.
 */
export function reportToSupervisor(registry: Registry, stop: () => void): void {
  const send = process.send?.bind(process);
  if (!send) {
    return;
  }
  process.on('message', (raw: unknown) => {
    const m = raw as ToChild;
    if (m?.type === 'metrics' && typeof m.id === 'number') {
      registry.getMetricsAsJSON().then(
        (metrics) => send({ type: 'metrics', id: m.id, metrics } satisfies ToParent),
        () => send({ type: 'metrics', id: m.id, metrics: [] } satisfies ToParent),
      );
    }
  });
  process.once('disconnect', stop);
  send({ type: 'ready' } satisfies ToParent);
}
