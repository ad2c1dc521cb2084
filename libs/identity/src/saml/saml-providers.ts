import { X509Certificate } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { SAML, ValidateInResponseTo } from '@node-saml/passport-saml';
import { AppConfigService, type AppConfig } from '@mft/config';
import { NotFoundError, UnavailableError } from '@mft/core';
import { SessionsRepository } from '../sessions.repository.js';
import { SamlRequestCache } from './saml-request-cache.js';

type SamlSettings = AppConfig['auth']['saml'][number];

/** How long a browser may spend at the identity provider between the AuthnRequest and the response. */
export const SAML_REQUEST_TTL_SECONDS = 15 * 60;

/** One configured SAML identity provider, with this gateway's service-provider URLs for it. */
export interface SamlProvider {
  readonly id: string;
  readonly name: string;
  /** The sign-in method recorded on sessions and in the audit log: `saml:<id>`. */
  readonly method: string;
  /**
   * This gateway's entity ID towards the IdP (and the expected Audience): the URL of its metadata,
   * `<publicUrl>/auth/saml/metadata` for the first provider, `<publicUrl>/auth/saml/<id>/metadata`
   * for the others.
   */
  readonly entityId: string;
  /** Where the IdP posts its response: `<publicUrl>/auth/saml/acs` (first) or `/auth/saml/<id>/acs`. */
  readonly acsUrl: string;
  readonly idpIssuer?: string;
  readonly rolesAttribute: string;
  readonly emailAttribute: string;
  readonly clockSkewMs: number;
  /**
   * Whether a response is only accepted in the browser that started the sign-in (a SameSite=None
   * cookie, which browsers only keep over HTTPS): on when `PUBLIC_URL` is https.
   */
  readonly bindToBrowser: boolean;
  readonly saml: SAML;
  /** The pending AuthnRequest ids, which node-saml checks and the sign-in takes once it succeeds. */
  readonly requests: Pick<SamlRequestCache, 'take'>;
}

/**
 * The configured SAML identity providers (`auth.saml`), each behind one node-saml `SAML` instance
 * whose request-id cache lives in the database, so that any replica can finish a sign-in that
 * another one started.
 */
@Injectable()
export class SamlProviders implements OnModuleInit {
  readonly #logger = new Logger('Saml');
  readonly #built = new Map<string, SamlProvider>();

  constructor(
    private readonly config: AppConfigService,
    private readonly cache: SessionsRepository,
  ) {}

  /** Reports a provider whose certificate cannot be used at boot, instead of at its first sign-in. */
  onModuleInit(): void {
    if (this.config.values.auth.saml.length > 0 && !this.config.behindTls) {
      this.#logger.warn({
        msg: 'SAML sign-in is not bound to the browser that started it over plain HTTP (login CSRF is possible); set PUBLIC_URL to the https:// address',
        key: 'http.publicUrl',
      });
    }
    this.config.values.auth.saml.forEach((settings, index) => {
      try {
        this.build(settings, index);
      } catch (err) {
        this.#logger.error({ msg: 'SAML identity provider unusable', provider: settings.id, key: `auth.saml.${index}.idpCert`, err: String(err) });
      }
    });
  }

  /** The provider `id`, or the first configured one when `id` is undefined. */
  get(id?: string): SamlProvider {
    const all = this.config.values.auth.saml;
    const index = id === undefined ? 0 : all.findIndex((p) => p.id === id);
    const settings = all[index];
    if (!settings) {
      throw all.length === 0
        ? new NotFoundError('saml_not_configured', 'SAML sign-in is not configured on this gateway. Sign in at /auth/login.')
        : new NotFoundError('saml_provider_unknown', 'There is no SAML identity provider with this name. Sign in at /auth/login.');
    }
    return this.#built.get(settings.id) ?? this.build(settings, index);
  }

  private build(settings: SamlSettings, index: number): SamlProvider {
    let certs: string[];
    try {
      certs = idpCertificates(settings.idpCert);
    } catch (err) {
      throw new UnavailableError(
        'saml_misconfigured',
        `Sign-in with ${settings.name} is not available: the identity provider certificate (auth.saml.${index}.idpCert) cannot be read (${err instanceof Error ? err.message : String(err)}). Tell your administrator.`,
      );
    }
    const base = `${this.config.publicUrl}/auth/saml${index === 0 ? '' : `/${settings.id}`}`;
    const entityId = `${base}/metadata`;
    const acsUrl = `${base}/acs`;
    const clockSkewMs = settings.clockSkewSeconds * 1000;
    const requests = new SamlRequestCache(this.cache, settings.id, SAML_REQUEST_TTL_SECONDS);
    const saml = new SAML({
      entryPoint: settings.entryPoint,
      issuer: entityId,
      audience: entityId,
      callbackUrl: acsUrl,
      idpCert: certs,
      ...(settings.idpIssuer ? { idpIssuer: settings.idpIssuer } : {}),
      // Either the Response or the Assertion must carry a valid signature by the IdP: with both
      // flags off, node-saml accepts a signed Response and otherwise demands a signed Assertion.
      wantAuthnResponseSigned: false,
      wantAssertionsSigned: false,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: SAML_REQUEST_TTL_SECONDS * 1000,
      cacheProvider: requests,
      acceptedClockSkewMs: clockSkewMs,
      identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      // How the IdP authenticates the person is its policy; asking for one class breaks MFA set-ups.
      disableRequestedAuthnContext: true,
    });
    const provider: SamlProvider = {
      id: settings.id,
      name: settings.name,
      method: `saml:${settings.id}`,
      entityId,
      acsUrl,
      ...(settings.idpIssuer ? { idpIssuer: settings.idpIssuer } : {}),
      rolesAttribute: settings.rolesAttribute,
      emailAttribute: settings.emailAttribute,
      clockSkewMs,
      bindToBrowser: this.config.behindTls,
      saml,
      requests,
    };
    this.#built.set(settings.id, provider);
    return provider;
  }
}

/**
 * The IdP signing certificates of a configured value: one or more PEM blocks (several during a key
 * rollover), or one base64 body; `\n` written literally (as in some environment files) is a newline.
 */
export function idpCertificates(value: string): string[] {
  const text = value.replace(/\\n/g, '\n').trim();
  const blocks = text.includes('-----BEGIN')
    ? [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!)
    : [text];
  const pems = blocks.map((body) => {
    const b64 = body.replace(/\s+/g, '');
    return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  });
  if (pems.length === 0) {
    throw new Error('no "-----BEGIN CERTIFICATE-----" block');
  }
  for (const pem of pems) {
    new X509Certificate(pem);
  }
  return pems;
}
