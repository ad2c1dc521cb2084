import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { configSchema, ENV_KEYS, type AppConfig } from './config.schema.js';

/** Raised when the configuration is invalid; the message names every bad key and where it came from. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Source = { kind: 'file'; file: string } | { kind: 'env'; name: string };

/** The repository root, found from this file's location in the source or the build tree. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      return process.cwd();
    }
    dir = parent;
  }
  return dir;
}

function readYaml(file: string): Record<string, unknown> {
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(`Invalid configuration file ${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) {
    return {};
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`Invalid configuration file ${file}: the top level must be a mapping`);
  }
  return value as Record<string, unknown>;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)) {
      out[k] = deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) {
      node[part] = {};
    }
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function envValue(key: string, raw: string): unknown {
  if (key === 'auth.roleMap') {
    return Object.fromEntries(
      raw
        .split(',')
        .map((pair) => pair.trim())
        .filter(Boolean)
        .map((pair) => {
          const at = pair.lastIndexOf('=');
          return at < 0 ? [pair, ''] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
        }),
    );
  }
  if (key === 'http.trustedProxies') {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return raw === '' ? null : raw;
}

/**
 * Loads `config/default.yaml`, then the file named by `CONFIG_FILE`, then the environment,
 * and validates the result. Throws a ConfigError naming each bad key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, root = projectRoot()): AppConfig {
  const sources = new Map<string, Source>();
  const defaultsFile = join(root, 'config', 'default.yaml');
  let merged: Record<string, unknown> = existsSync(defaultsFile) ? readYaml(defaultsFile) : {};
  if (env.CONFIG_FILE) {
    const file = isAbsolute(env.CONFIG_FILE) ? env.CONFIG_FILE : resolve(env.CONFIG_FILE);
    if (!existsSync(file)) {
      throw new ConfigError(`Invalid configuration: CONFIG_FILE names ${file}, which does not exist`);
    }
    const extra = readYaml(file);
    merged = deepMerge(merged, extra);
    collectPaths(extra, '', (p) => sources.set(p, { kind: 'file', file }));
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw !== undefined) {
      setPath(merged, key, envValue(key, raw));
      sources.set(key, { kind: 'env', name });
    }
  }
  applyProviderEnv(merged, env, sources);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.join('.');
      const source = sources.get(key);
      const where = source?.kind === 'env' ? `${source.name} (${key})` : source ? `${key} in ${source.file}` : key || '(root)';
      return `  - ${where}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  config.dataDir = resolve(config.dataDir);
  return config;
}

function collectPaths(obj: Record<string, unknown>, prefix: string, visit: (path: string) => void): void {
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      collectPaths(v as Record<string, unknown>, path, visit);
    } else {
      visit(path);
    }
  }
}

/**
 * One OIDC and one SAML identity provider can be configured from the environment (OIDC_ISSUER,
 * OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_ROLES_CLAIM; SAML_IDP_SSO_URL, SAML_IDP_CERT,
 * SAML_ROLES_ATTRIBUTE); more in the YAML configuration.
 */
function applyProviderEnv(merged: Record<string, unknown>, env: NodeJS.ProcessEnv, sources: Map<string, Source>): void {
  const auth = (merged.auth ??= {}) as Record<string, unknown>;
  if (env.OIDC_ISSUER || env.OIDC_CLIENT_ID) {
    const list = ((auth.oidc as unknown[]) ?? []).filter((p) => (p as { id?: string }).id !== 'oidc');
    list.unshift({
      id: 'oidc',
      name: env.OIDC_NAME ?? 'Single sign-on',
      issuer: env.OIDC_ISSUER,
      clientId: env.OIDC_CLIENT_ID,
      clientSecret: env.OIDC_CLIENT_SECRET,
      ...(env.OIDC_ROLES_CLAIM ? { rolesClaim: env.OIDC_ROLES_CLAIM } : {}),
      ...(env.OIDC_SCOPES ? { scopes: env.OIDC_SCOPES } : {}),
      ...(env.OIDC_ALLOW_INSECURE_HTTP ? { allowInsecureHttp: env.OIDC_ALLOW_INSECURE_HTTP } : {}),
    });
    auth.oidc = list;
    for (const [name, key] of [['OIDC_ISSUER', 'issuer'], ['OIDC_CLIENT_ID', 'clientId'], ['OIDC_CLIENT_SECRET', 'clientSecret'], ['OIDC_ROLES_CLAIM', 'rolesClaim'], ['OIDC_SCOPES', 'scopes'], ['OIDC_ALLOW_INSECURE_HTTP', 'allowInsecureHttp']]) {
      sources.set(`auth.oidc.0.${key}`, { kind: 'env', name: name! });
    }
  }
  if (env.SAML_IDP_SSO_URL || env.SAML_IDP_CERT) {
    const list = ((auth.saml as unknown[]) ?? []).filter((p) => (p as { id?: string }).id !== 'saml');
    list.unshift({
      id: 'saml',
      name: env.SAML_NAME ?? 'Single sign-on (SAML)',
      entryPoint: env.SAML_IDP_SSO_URL,
      idpCert: env.SAML_IDP_CERT,
      ...(env.SAML_IDP_ISSUER ? { idpIssuer: env.SAML_IDP_ISSUER } : {}),
      ...(env.SAML_ROLES_ATTRIBUTE ? { rolesAttribute: env.SAML_ROLES_ATTRIBUTE } : {}),
    });
    auth.saml = list;
    for (const [name, key] of [['SAML_IDP_SSO_URL', 'entryPoint'], ['SAML_IDP_CERT', 'idpCert'], ['SAML_ROLES_ATTRIBUTE', 'rolesAttribute'], ['SAML_IDP_ISSUER', 'idpIssuer']]) {
      sources.set(`auth.saml.0.${key}`, { kind: 'env', name: name! });
    }
  }
}
