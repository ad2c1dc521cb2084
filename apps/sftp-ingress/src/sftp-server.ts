import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import ssh2, { type Connection, type Server as SshServer, type ServerChannel } from 'ssh2';
import { AuditService, RefusalAuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { IdentityRepository, LoginThrottle, SftpCredentialsService, userActor, type User } from '@mft/identity';
import { ShareSourcesService } from '@mft/links';
import { PolicyService } from '@mft/policy';
import { loadOrCreateHostKeys, type HostKey } from '@mft/sftp';
import { ConnectionAuthenticator, type SftpPrincipal } from './authenticator.js';
import { SftpSession } from './sftp-session.js';
import { SSH_ALGORITHMS } from './ssh-algorithms.js';
import { TreeFactory } from './tree/tree-factory.js';

const { Server } = ssh2;
/** How long a port in use is tried again at start. */
const LISTEN_RETRY_MS = 10_000;

/** Whether the native crypto addon of ssh2 is built (without it AES-GCM runs at about half speed). */
export function nativeCryptoLoaded(): boolean {
  try {
    // The addon ssh2 loads when it is there; its absence is what we want to know.
    createRequire(import.meta.url)('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node');
    return true;
  } catch {
    return false;
  }
}

interface LiveConnection {
  readonly client: Connection;
  readonly ip: string | null;
  principal: SftpPrincipal | null;
  sessions: Set<SftpSession>;
}

/**
 * The SFTP ingress: an ssh2 server on `sftp.port` that signs users in with their SSH keys or app
 * passwords and serves each of them their tree (`/send`, `/drop`, mounts) over SFTP only (no shell,
 * no exec, no forwarding). Open sessions are checked every `sftp.recheckSeconds`: a revoked key or
 * app password, a disabled user or one who may no longer send or share is disconnected.
 */
@Injectable()
export class SftpServer implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  readonly #log = new Logger('SftpServer');
  #server: SshServer | null = null;
  #closed: Promise<void> = Promise.resolve();
  #keys: HostKey[] = [];
  readonly #live = new Set<LiveConnection>();
  readonly #perIp = new Map<string, number>();
  #recheck: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: AppConfigService,
    private readonly credentials: SftpCredentialsService,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAuditService,
    private readonly identity: IdentityRepository,
    private readonly policies: PolicyService,
    private readonly sources: ShareSourcesService,
    private readonly trees: TreeFactory,
  ) {}

  /** The host keys served (empty until the server started). */
  get hostKeys(): readonly HostKey[] {
    return this.#keys;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.config.sftp;
    if (port === 'off') {
      return;
    }
    this.#keys = loadOrCreateHostKeys(this.config.dataDir);
    const server = new Server({ hostKeys: this.#keys.map((k) => k.privateKey), algorithms: SSH_ALGORITHMS, ident: 'MFT-Gateway' }, (client, info) => this.#accept(client, info.ip));
    // Every accepted socket: no Nagle delay (SFTP answers are small and many), and an error listener before anything else.
    (server as unknown as { _srv: import('node:net').Server })._srv.prependListener('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
    });
    server.on('error', (err: Error) => this.#log.error({ msg: 'SFTP listener error', err: err.message }));
    // A port in use is tried again for a few seconds: the ingress process of a gateway that just
    // went away may still be closing its listener.
    const listenOnce = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    const deadline = Date.now() + LISTEN_RETRY_MS;
    for (;;) {
      try {
        await listenOnce();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) {
          throw new Error(`Cannot listen for SFTP on ${host}:${String(port)} (SFTP_PORT, SFTP_HOST; "off" turns the ingress off): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    this.#server = server;
    this.#recheck = setInterval(() => void this.#recheckAll(), this.config.sftp.recheckSeconds * 1000);
    this.#recheck.unref();
    this.#log.log({ msg: 'SFTP ingress listening', host, port, hostKeys: this.#keys.map((k) => ({ type: k.type, fingerprint: k.fingerprint })), nativeCrypto: nativeCryptoLoaded() });
    process.stdout.write(`SFTP ingress on ${host}:${String(port)}; host keys ${this.#keys.map((k) => `${k.type} ${k.fingerprint}`).join(', ')}\n`);
  }

  /** New connections are refused from the first moment of a stop (the port is free for a successor). */
  beforeApplicationShutdown(): void {
    const server = this.#server;
    this.#server = null;
    this.#closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.#recheck) {
      clearInterval(this.#recheck);
    }
    for (const c of this.#live) {
      for (const s of c.sessions) {
        await s.end();
      }
      c.client.end();
    }
    await this.#closed;
  }

  /** Why `user` may not use the ingress now (null when they may): they must be allowed to send or to share from somewhere. */
  async #mayUse(user: User): Promise<string | null> {
    const policy = await this.policies.effectiveFor(user.id);
    const external = user.roles.includes('external');
    const maySend = policy.creators.send.some((r) => user.roles.includes(r)) && (!external || policy.creators.externalUsers);
    if (maySend || (await this.sources.sources(user)).length > 0) {
      return null;
    }
    return 'your roles allow neither sending nor sharing';
  }

  #accept(client: Connection, ip: string | null): void {
    client.on('error', (err: Error) => this.#log.debug?.({ msg: 'SFTP client connection error', ip, err: err.message }));
    const key = ip ?? 'unknown';
    const count = (this.#perIp.get(key) ?? 0) + 1;
    if (count > this.config.sftp.maxConnectionsPerIp) {
      this.#log.warn({ msg: 'too many SFTP connections from one address; refused', ip });
      client.end();
      return;
    }
    this.#perIp.set(key, count);
    const live: LiveConnection = { client, ip, principal: null, sessions: new Set() };
    this.#live.add(live);
    let closed = false;
    const onClose = (): void => {
      if (closed) {
        return;
      }
      closed = true;
      this.#live.delete(live);
      const n = (this.#perIp.get(key) ?? 1) - 1;
      if (n <= 0) {
        this.#perIp.delete(key);
      } else {
        this.#perIp.set(key, n);
      }
      for (const s of live.sessions) {
        void s.end();
      }
    };
    client.on('close', onClose);
    client.on('end', onClose);
    const auth = new ConnectionAuthenticator(ip, this.credentials, this.throttle, this.audit, this.refusals, (u) => this.#mayUse(u), () => client.end());
    client.on('authentication', (ctx) => {
      auth.handle(ctx).catch((err: unknown) => {
        this.#log.error({ msg: 'SFTP authentication failed unexpectedly', ip, err: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
        try {
          ctx.reject();
        } catch {
          // the connection is gone
        }
      });
    });
    client.on('ready', () => {
      live.principal = auth.principal;
      const principal = auth.principal;
      if (!principal) {
        client.end();
        return;
      }
      const ctx: AccessContext = { actor: userActor(principal.user), ip, userAgent: 'sftp' };
      this.#idleTimer(live);
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          const tree = this.trees.forUser(principal.user, ctx);
          tree.catch((err: unknown) => {
            this.#log.error({ msg: 'could not build the SFTP tree', user: principal.user.username, err: err instanceof Error ? err.message : String(err) });
            sftp.end();
          });
          const s = new SftpSession(sftp, tree, principal.user.username, this.#log);
          live.sessions.add(s);
          sftp.on('close', () => live.sessions.delete(s));
        });
        // Only the SFTP subsystem: no shell, no command, no terminal.
        const refuse = (accept: unknown, reject?: () => void): void => reject?.();
        session.on('shell', refuse);
        session.on('exec', refuse);
        session.on('pty', refuse);
        session.on('subsystem', (_accept: () => ServerChannel, reject: () => void, info: { name: string }) => {
          if (info.name !== 'sftp') {
            reject();
          }
        });
      });
      client.on('tcpip', (_accept: unknown, reject: () => void) => reject());
      client.on('openssh.streamlocal', (_accept: unknown, reject: () => void) => reject());
      client.on('request', (accept: unknown, reject: (() => void) | undefined) => reject?.());
    });
  }

  /** Closes a connection on which no SFTP request came for `sftp.idleSeconds` and nothing is being transferred. */
  #idleTimer(live: LiveConnection): void {
    const idleMs = this.config.sftp.idleSeconds * 1000;
    const started = Date.now();
    const t = setInterval(() => {
      if (!this.#live.has(live)) {
        clearInterval(t);
        return;
      }
      const last = Math.max(started, ...[...live.sessions].map((s) => s.lastActivity));
      if (Date.now() - last > idleMs && ![...live.sessions].some((s) => s.busy)) {
        this.#log.log({ msg: 'closing an idle SFTP connection', ip: live.ip, user: live.principal?.user.username });
        clearInterval(t);
        live.client.end();
      }
    }, Math.min(idleMs, 30_000));
    t.unref();
  }

  async #recheckAll(): Promise<void> {
    for (const live of [...this.#live]) {
      const p = live.principal;
      if (!p) {
        continue;
      }
      try {
        const user = await this.identity.findUserByName(p.user.username);
        const why = !user ? 'the user is disabled' : !(await this.credentials.credentialStillValid(p.credential.kind, p.credential.id)) ? `the ${p.credential.kind === 'key' ? 'SSH key' : 'app password'} was revoked` : await this.#mayUse(user);
        if (why) {
          await this.audit.record({ actor: userActor(p.user), ip: live.ip, userAgent: 'sftp' }, { type: 'sftp.session_closed', details: { user: p.user.username, reason: why, credential: p.credential.kind, credentialId: p.credential.id, fingerprint: p.credential.fingerprint } });
          for (const s of live.sessions) {
            await s.end();
          }
          live.client.end();
        }
      } catch (err) {
        this.#log.warn({ msg: 'could not recheck an SFTP session', err: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
