import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
// @ts-expect-error oidc-provider ships no type declarations
import Provider from 'oidc-provider';
import type { CookieJar } from './browser.js';

/** The part of oidc-provider's API these tests use. */
const OidcProvider = Provider as new (issuer: string, configuration: Record<string, unknown>) => { callback(): RequestListener };

export interface IdpAccount {
  email: string;
  name: string;
  groups: string[];
}

/**
 * A real OpenID provider (oidc-provider) on loopback. It listens before the gateway starts (the
 * gateway needs its issuer URL) and answers 503 until `serve` gives it the gateway's redirect URIs.
 */
export class TestIdp {
  readonly accounts = new Map<string, IdpAccount>();
  #handler: RequestListener = (_req, res) => res.writeHead(503).end('not started');

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async listen(): Promise<TestIdp> {
    let idp: TestIdp | null = null;
    const server = createServer((req, res) => idp!.#handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    idp = new TestIdp(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    return idp;
  }

  /** `idTokenClaims: false` keeps profile and groups out of the ID token (UserInfo only), as conformant providers do. */
  serve(client: { clientId: string; clientSecret: string; redirectUris: string[] }, idTokenClaims: boolean): void {
    const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const provider = new OidcProvider(this.issuer, {
      clients: [
        {
          client_id: client.clientId,
          client_secret: client.clientSecret,
          redirect_uris: client.redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      pkce: { required: () => true },
      cookies: { keys: [randomBytes(32).toString('hex')] },
      jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256' }] },
      claims: { openid: ['sub'], email: ['email'], profile: ['name', 'preferred_username'], groups: ['groups'] },
      conformIdTokenClaims: !idTokenClaims,
      features: { devInteractions: { enabled: true } },
      ttl: { AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
      findAccount: (_ctx: unknown, sub: string) => {
        const account = this.accounts.get(sub);
        return account
          ? { accountId: sub, claims: () => ({ sub, preferred_username: sub, email: account.email, name: account.name, groups: [...account.groups] }) }
          : undefined;
      },
    });
    this.#handler = provider.callback();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Requests `target` in `jar` and follows redirects; returns the last response and its URL. */
export async function follow(jar: CookieJar, target: string): Promise<{ res: Response; url: string }> {
  let url = target;
  for (let hops = 0; hops < 20; hops++) {
    const res = await jar.fetch(url);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) {
      return { res, url };
    }
    await res.arrayBuffer();
    url = new URL(location, url).href;
  }
  throw new Error(`too many redirects from ${target}`);
}

const decode = (s: string): string => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x2F;/g, '/').replace(/&#39;/g, "'");

/**
 * Drives `jar` from `start` (the gateway's login URL, or a provider URL) through the provider's
 * sign-in and consent forms as `login`, and returns the gateway callback URL the provider redirects
 * to, without visiting it. `cancel` presses Cancel on the provider's sign-in page instead.
 */
export async function signInAtProvider(jar: CookieJar, start: string, login: string, options: { cancel?: boolean } = {}): Promise<string> {
  let res = await jar.fetch(start);
  let url = start;
  for (let steps = 0; steps < 20; steps++) {
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      const next = new URL(location, url).href;
      if (/\/auth\/oidc\/(?:[a-z0-9-]+\/)?callback\?/.test(next)) {
        return next;
      }
      url = next;
      res = await jar.fetch(url);
      continue;
    }
    const html = await res.text();
    const form = /<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (res.status !== 200 || !form) {
      throw new Error(`unexpected page at ${url} (${String(res.status)}): ${html.slice(0, 300)}`);
    }
    if (options.cancel) {
      const cancel = /<a href="([^"]+)">\[ Cancel \]<\/a>/.exec(html);
      if (!cancel) {
        throw new Error('the provider page has no Cancel link');
      }
      url = new URL(decode(cancel[1]!), url).href;
      res = await jar.fetch(url);
      continue;
    }
    const fields: Record<string, string> = {};
    for (const input of form[2]!.matchAll(/<input[^>]*name="([^"]+)"[^>]*>/g)) {
      const preset = /value="([^"]*)"/.exec(input[0]);
      fields[input[1]!] = input[1] === 'login' ? login : input[1] === 'password' ? 'any password' : decode(preset?.[1] ?? '');
    }
    url = new URL(decode(form[1]!), url).href;
    res = await jar.postForm(url, fields);
  }
  throw new Error(`the provider did not send ${login} back to the gateway`);
}

/** An employee of `idp` (a person in `groups`, none by default) whose email is <login>@example.test. */
export function addIdpPerson(idp: TestIdp, login: string, groups: string[] = []): void {
  idp.accounts.set(login, { email: `${login}@example.test`, name: `${login[0]!.toUpperCase()}${login.slice(1)} Example`, groups });
}

/**
 * Signs `login` in to the gateway at `baseUrl` through the provider (the gateway's own OIDC login,
 * the provider's forms, the callback) and answers the jar holding the gateway's session cookie.
 */
export async function signInThroughIdp(jar: CookieJar, baseUrl: string, login: string, returnTo = '/app'): Promise<CookieJar> {
  const callback = await signInAtProvider(jar, `${baseUrl}/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`, login);
  const landed = await follow(jar, callback);
  await landed.res.arrayBuffer();
  if (!jar.get('mft_session')) {
    throw new Error(`signing ${login} in through the provider ended at ${landed.url} (${String(landed.res.status)}) without a session`);
  }
  return jar;
}

/**
 * A gateway environment for one OIDC provider at `idp` (groups claim mapped by ROLE_MAP), for tests
 * that sign people in through a real provider. Call `idp.serve(...)` with the gateway's callback
 * once it listens: `serveGateway(idp, gw.baseUrl)`.
 */
export function oidcGatewayEnv(idp: TestIdp, clientSecret: string): Record<string, string> {
  return {
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: 'mft-gateway',
    OIDC_CLIENT_SECRET: clientSecret,
    OIDC_SCOPES: 'openid email profile groups',
    OIDC_ROLES_CLAIM: 'groups',
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    ROLE_MAP: 'mft-admins=admin,mft-audit=auditor',
  };
}

export function serveGateway(idp: TestIdp, baseUrl: string, clientSecret: string): void {
  idp.serve({ clientId: 'mft-gateway', clientSecret, redirectUris: [`${baseUrl}/auth/oidc/callback`] }, true);
}
