import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './gateway-process.js';
import { descendantsOf } from './processes.js';

const SSHD = process.env.SSHD_PATH ?? '/usr/sbin/sshd';
const START_TIMEOUT_MS = 10_000;

export interface SshServerOptions {
  /**
   * Also create a system user of its own with a random password (needs root; removed again by
   * `close`), for password sign-in tests: `passwordUser` then names it and `password` is its password.
   */
  readonly passwordUser?: boolean;
}

/** A user that can sign in to the test server with a password. */
export interface SshPasswordUser {
  readonly username: string;
  readonly password: string;
  /** A folder owned by this user, inside the server's temporary folder. */
  readonly home: string;
}

/**
 * A real OpenSSH `sshd` on loopback for tests (Debian's openssh-server): its own configuration,
 * Ed25519 host key and client key in a temporary folder, `internal-sftp`, public-key sign-in for
 * the current user (and password sign-in for a user of its own when asked). It can be stopped and
 * started again on the same port with the same host key, to play a server that restarts.
 */
export class SshServer {
  /** The current user, who signs in with `privateKey`. */
  readonly username = userInfo().username;
  /** The client's private key (OpenSSH format, no passphrase), listed in the server's authorized keys. */
  readonly privateKey: string;
  /** The host key's fingerprint as OpenSSH prints it (`ssh-keygen -lf`): `SHA256:` and unpadded base64. */
  readonly hostKeySha256: string;
  /** Everything the server logged so far (its stderr, also written to `logFile`). */
  log = '';
  #child: ChildProcess | null = null;
  #logStream: WriteStream;
  #passwordUser: SshPasswordUser | null = null;

  private constructor(
    /** The temporary folder holding the configuration, keys, pid file and log. */
    readonly dir: string,
    readonly port: number,
  ) {
    this.privateKey = readFileSync(join(dir, 'client_ed25519'), 'utf8');
    const printed = execFileSync('ssh-keygen', ['-lf', join(dir, 'host_ed25519.pub')], { encoding: 'utf8' });
    const fingerprint = /\bSHA256:[A-Za-z0-9+/]+/.exec(printed)?.[0];
    if (!fingerprint) {
      throw new Error(`ssh-keygen printed no SHA256 fingerprint: ${printed}`);
    }
    this.hostKeySha256 = fingerprint;
    this.#logStream = createWriteStream(this.logFile, { flags: 'a' });
    this.#logStream.on('error', () => undefined);
  }

  /** Generates keys and a configuration, and starts sshd on a free loopback port. */
  static async start(options: SshServerOptions = {}): Promise<SshServer> {
    if (!existsSync(SSHD)) {
      throw new Error(`The SFTP tests need OpenSSH's sshd at ${SSHD} (Debian: apt-get install openssh-server; npm test installs it as root).`);
    }
    sweepAbandoned();
    const dir = mkdtempSync(join(tmpdir(), 'mft-sshd-'));
    writeFileSync(join(dir, 'owner.pid'), String(process.pid));
    try {
      for (const name of ['host_ed25519', 'client_ed25519']) {
        execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `mft-test-${name}`, '-f', join(dir, name)], { stdio: 'ignore' });
      }
      writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')), { mode: 0o600 });
      const server = new SshServer(dir, await freePort());
      if (options.passwordUser) {
        server.#passwordUser = createPasswordUser(dir);
      }
      server.#writeConfig();
      // A test process that ends without `close` takes its sshd and its user along.
      process.once('exit', server.#onExit);
      await server.listen();
      return server;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get configFile(): string {
    return join(this.dir, 'sshd_config');
  }

  get logFile(): string {
    return join(this.dir, 'sshd.log');
  }

  /** The password user (`SshServerOptions.passwordUser`). */
  get passwordUser(): SshPasswordUser {
    if (!this.#passwordUser) {
      throw new Error('This server was started without { passwordUser: true }.');
    }
    return this.#passwordUser;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** Lines of the log that record a successful sign-in ("Accepted publickey for ..."). */
  get acceptedSignIns(): string[] {
    return this.log.split('\n').filter((l) => /\bAccepted \S+ for /.test(l));
  }

  #writeConfig(): void {
    const config = [
      `ListenAddress 127.0.0.1:${this.port}`,
      `HostKey ${join(this.dir, 'host_ed25519')}`,
      `PidFile ${join(this.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
      'AuthenticationMethods any',
      'PubkeyAuthentication yes',
      `PasswordAuthentication ${this.#passwordUser ? 'yes' : 'no'}`,
      'KbdInteractiveAuthentication no',
      'PermitEmptyPasswords no',
      'PermitRootLogin yes',
      `AllowUsers ${[this.username, ...(this.#passwordUser ? [this.#passwordUser.username] : [])].join(' ')}`,
      'UsePAM no',
      // The temporary folder is below the world-writable /tmp, which StrictModes would refuse.
      'StrictModes no',
      'UseDNS no',
      'PrintMotd no',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'PermitTTY no',
      'MaxStartups 100:30:200',
      'MaxSessions 20',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n');
    writeFileSync(this.configFile, config, { mode: 0o600 });
  }

  /** Starts sshd (again) on the same port with the same host key; resolves once it listens. */
  async listen(): Promise<void> {
    if (this.#child) {
      return;
    }
    if (process.getuid?.() === 0) {
      // Debian's sshd refuses to start without its privilege separation folder.
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    }
    const child = spawn(SSHD, ['-D', '-e', '-f', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`sshd did not start within ${START_TIMEOUT_MS} ms:\n${buffered}`));
      }, START_TIMEOUT_MS);
      const onExit = (code: number | null, signal: string | null): void => {
        clearTimeout(timer);
        this.#child = null;
        reject(new Error(`sshd exited at start (${signal ?? `exit ${code}`}):\n${buffered}`));
      };
      child.once('error', (err) => {
        clearTimeout(timer);
        this.#child = null;
        reject(err);
      });
      child.once('exit', onExit);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (text: string) => {
        this.log += text;
        this.#logStream.write(text);
        buffered += text;
        if (/Server listening on 127\.0\.0\.1 port \d+/.test(buffered)) {
          clearTimeout(timer);
          child.off('exit', onExit);
          buffered = '';
          resolve();
        }
      });
    });
    child.once('exit', () => {
      if (this.#child === child) {
        this.#child = null;
      }
    });
  }

  /**
   * Stops the server as a restart or crash would: the listener and every session it started
   * (each sshd session runs in a session of its own, so they are found by parent process).
   * The configuration and keys stay, for `listen` or `restart`.
   */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child?.pid) {
      return;
    }
    const sessions = descendantsOf(child.pid);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (const pid of sessions) {
      killQuietly(pid, 'SIGKILL');
    }
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    this.#child = null;
    // Sessions left behind (one that forked between the listing and the kill) go too.
    for (const pid of sessions) {
      killQuietly(pid, 'SIGKILL');
    }
  }

  /** Stops the server (ending every connection) and starts it again on the same port with the same host key. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  /** Stops the server and removes its folder (and its password user). */
  async close(): Promise<void> {
    process.off('exit', this.#onExit);
    await this.stop();
    await new Promise<void>((resolve) => this.#logStream.end(resolve));
    removeLeftovers(this.dir, this.#passwordUser?.username ?? null);
  }

  readonly #onExit = (): void => {
    if (this.#child?.pid) {
      for (const pid of [...descendantsOf(this.#child.pid), this.#child.pid]) {
        killQuietly(pid, 'SIGKILL');
      }
    }
    removeLeftovers(this.dir, this.#passwordUser?.username ?? null);
  };
}

/** Removes a server's folder and its password user (whose processes must be gone first: userdel refuses otherwise). */
function removeLeftovers(dir: string, username: string | null): void {
  if (username) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const r = spawnSync('userdel', [username], { stdio: 'ignore' });
      // 6: no such user; 8: still has processes (a session being killed).
      if (r.status !== 8) {
        break;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Servers (their sshd, folder and password user) left by test processes that were killed before
 * `close`: each folder names its owning process, and one whose owner is gone is cleaned up.
 */
function sweepAbandoned(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((n) => /^mft-sshd-[A-Za-z0-9]{6}$/.test(n));
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = join(tmpdir(), entry);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) {
      continue;
    }
    try {
      const pid = Number(readFileSync(join(dir, 'sshd.pid'), 'utf8'));
      // Only an sshd started with this folder's configuration.
      if (Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(dir, 'sshd_config'))) {
        for (const p of [...descendantsOf(pid), pid]) {
          killQuietly(p, 'SIGKILL');
        }
      }
    } catch {
      // No sshd left running.
    }
    let username: string | null = null;
    try {
      username = readFileSync(join(dir, 'user'), 'utf8').trim() || null;
    } catch {
      // No password user.
    }
    removeLeftovers(dir, username?.startsWith('mft-sftp-') ? username : null);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A system user of its own (no shell, no home of its own), with a random password. */
function createPasswordUser(dir: string): SshPasswordUser {
  if (process.getuid?.() !== 0) {
    throw new Error('A password user for the SFTP tests can only be created as root (useradd).');
  }
  const username = `mft-sftp-${randomBytes(4).toString('hex')}`;
  // Named before it exists, so that a sweep after a crash right after useradd still finds it.
  writeFileSync(join(dir, 'user'), username);
  const password = randomBytes(18).toString('base64url');
  const home = join(dir, 'home');
  // mkdtemp made the folder private; the user must be able to pass through it to its home.
  chmodSync(dir, 0o711);
  mkdirSync(home, { mode: 0o755 });
  execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', username], { stdio: 'ignore' });
  execFileSync('chpasswd', { input: `${username}:${password}\n`, stdio: ['pipe', 'ignore', 'ignore'] });
  execFileSync('chown', [`${username}:`, home]);
  return { username, password, home };
}


function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
