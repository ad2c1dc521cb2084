// The tests drive real programs from Debian's packages, never downloaded by npm: Chromium for the
// browser tests, OpenSSH's sshd and ssh-keygen, lftp and rclone for the SFTP tests. On a Debian machine where we are
// root, install what is missing (quietly, nothing at all when everything is there); elsewhere, say how.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const sshd = process.env.SSHD_PATH ?? '/usr/sbin/sshd';
const tools = [
  { what: 'Chromium, for the browser tests', path: chromium, pkg: process.env.CHROMIUM_PATH ? null : 'chromium', env: 'CHROMIUM_PATH' },
  { what: "OpenSSH's sshd, for the SFTP tests", path: sshd, pkg: process.env.SSHD_PATH ? null : 'openssh-server', env: 'SSHD_PATH' },
  { what: "OpenSSH's ssh-keygen, for the SFTP tests", path: '/usr/bin/ssh-keygen', pkg: 'openssh-client' },
  { what: 'lftp, an SFTP client the ingress tests drive', path: '/usr/bin/lftp', pkg: 'lftp' },
  { what: 'rclone, an SFTP client the ingress tests drive', path: '/usr/bin/rclone', pkg: 'rclone' },
];

const missing = tools.filter((t) => !existsSync(t.path));
if (missing.length === 0) {
  process.exit(0);
}
const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get') && missing.every((t) => t.pkg);
if (!canInstall) {
  for (const t of missing) {
    console.error(`The tests need ${t.what} at ${t.path}. Install it (Debian: apt-get install ${t.pkg ?? '...'})${t.env ? ` or set ${t.env}` : ''}.`);
  }
  process.exit(1);
}
const packages = [...new Set(missing.map((t) => t.pkg))];
console.log(`installing test tools: apt-get install ${packages.join(' ')}`);
// Installing openssh-server must not start (or enable) the machine's own sshd: the tests run their own.
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
const policy = '/usr/sbin/policy-rc.d';
const hadPolicy = existsSync(policy);
if (!hadPolicy) {
  spawnSync('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > ${policy} && chmod 755 ${policy}`]);
}
let failed = null;
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...packages]]) {
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) {
    failed = `apt-get ${args.join(' ')} failed (exit ${r.status}); install ${packages.join(' ')} and run the tests again.`;
    break;
  }
}
if (!hadPolicy) {
  spawnSync('rm', ['-f', policy]);
}
if (failed) {
  console.error(failed);
  process.exit(1);
}
for (const t of missing) {
  if (!existsSync(t.path)) {
    console.error(`${t.path} is still missing after installing ${t.pkg}.`);
    process.exit(1);
  }
}
