import type { Algorithms } from 'ssh2';

/**
 * What the ingress negotiates (documented in docs/operator guide, "SFTP ingress"). Strict key
 * exchange (`kex-strict-s-v00@openssh.com`, the Terrapin fix, CVE-2023-48795) is added to the key
 * exchange list by ssh2 itself whenever an explicit list is given. No CBC ciphers, no SHA-1 or MD5
 * MACs, no SHA-1 key exchange, no ssh-rsa (SHA-1) or DSA host key signatures.
 */

export const SSH_ALGORITHMS: Algorithms = {
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256'],
  cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
  serverHostKey: ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256'],
  compress: ['none'],
};

/** Client key types a user may sign in with; RSA only with SHA-2 signatures (`rsa-sha2-256`/`-512`). */
export const CLIENT_KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];
