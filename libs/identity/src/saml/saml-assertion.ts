/**
 * Checks node-saml leaves to the service provider, made on the assertion whose signature node-saml
 * verified (never on the raw, unsigned response): the bearer subject confirmation must name this
 * gateway's ACS as its Recipient and answer the request this gateway issued, the Issuer must be the
 * configured one, and the assertion must carry an ID, a NameID and an AuthnStatement.
 */

import { createRequire } from 'node:module';

/**
 * The part of @xmldom/xmldom (the parser node-saml and xml-crypto use) needed here, typed locally:
 * its own typings pull in the browser DOM library, which clashes with Node's types.
 */
interface XmlDocument {
  getElementsByTagNameNS(namespace: string, localName: string): { readonly length: number; item(index: number): { getAttribute(name: string): string | null } | null };
}
type ParseErrorHandler = (message: string) => void;
const { DOMParser } = createRequire(import.meta.url)('@xmldom/xmldom') as {
  DOMParser: new (options: { errorHandler: { warning: ParseErrorHandler; error: ParseErrorHandler; fatalError: ParseErrorHandler } }) => {
    parseFromString(xml: string, mimeType: string): XmlDocument;
  };
};

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

/**
 * The signature and digest algorithms accepted (XML-DSig URIs). SHA-1 (`rsa-sha1`, `sha1`), which
 * xml-crypto still verifies by default, is refused: a collision-prone digest must not vouch for who
 * signed in.
 */
const STRONG_ALGORITHMS: Readonly<Record<'SignatureMethod' | 'DigestMethod', ReadonlySet<string>>> = {
  SignatureMethod: new Set([
    'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
    'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  ]),
  DigestMethod: new Set([
    'http://www.w3.org/2001/04/xmlenc#sha256',
    'http://www.w3.org/2001/04/xmldsig-more#sha384',
    'http://www.w3.org/2001/04/xmlenc#sha512',
  ]),
};

/** Why a response was refused: `reason` goes to the audit log, `kind` picks the page a person sees. */
export class SamlRejection extends Error {
  override name = 'SamlRejection';
  constructor(
    readonly kind: 'invalid' | 'expired' | 'unsolicited' | 'replayed' | 'misdirected' | 'refused_by_idp' | 'unsupported',
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** What the assertion must match. */
export interface AssertionExpectations {
  /** This provider's ACS URL: the only acceptable Recipient (and Destination). */
  readonly acsUrl: string;
  /** The AuthnRequest id node-saml matched against the request cache. */
  readonly inResponseTo: string;
  /** When configured, the only acceptable Issuer. */
  readonly idpIssuer?: string;
  readonly nowMs: number;
  readonly skewMs: number;
}

/** The facts the rest of the sign-in needs from a checked assertion. */
export interface CheckedAssertion {
  readonly id: string;
  readonly nameId: string;
  readonly nameIdFormat: string | null;
  /** After this instant no copy of the assertion can be accepted any more (skew included). */
  readonly acceptableUntilMs: number;
}

/** An element as xml2js (explicitCharkey, prefixes stripped) gives it to node-saml's profile. */
interface XmlElement {
  readonly $?: Record<string, string>;
  readonly _?: string;
  readonly [child: string]: unknown;
}

function children(node: XmlElement | undefined, name: string): XmlElement[] {
  const value = node?.[name];
  if (!Array.isArray(value)) {
    return [];
  }
  return value.flatMap((v: unknown): XmlElement[] => (typeof v === 'string' ? [{ _: v }] : v && typeof v === 'object' ? [v as XmlElement] : []));
}

const textOf = (node: XmlElement | undefined): string => (typeof node?._ === 'string' ? node._.trim() : '');
const attr = (node: XmlElement | undefined, name: string): string | undefined => node?.$?.[name];

function instant(value: string | undefined, what: string): number | null {
  if (value === undefined) {
    return null;
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new SamlRejection('invalid', `${what} is not a date-time: ${JSON.stringify(value.slice(0, 40))}`);
  }
  return ms;
}

/** Checks the verified assertion (node-saml's `profile.getAssertion()`) against `expect`. */
export function checkAssertion(parsed: unknown, expect: AssertionExpectations): CheckedAssertion {
  const assertion = (parsed as { Assertion?: XmlElement } | null)?.Assertion;
  if (!assertion || typeof assertion !== 'object') {
    throw new SamlRejection('invalid', 'the signed content is not an assertion');
  }
  const id = attr(assertion, 'ID');
  if (!id) {
    throw new SamlRejection('invalid', 'the assertion has no ID');
  }
  if (expect.idpIssuer !== undefined) {
    const issuer = textOf(children(assertion, 'Issuer')[0]);
    if (issuer !== expect.idpIssuer) {
      throw new SamlRejection('misdirected', `assertion issuer ${JSON.stringify(issuer)} is not the configured ${JSON.stringify(expect.idpIssuer)}`);
    }
  }
  const subject = children(assertion, 'Subject')[0];
  const nameIdNode = children(subject, 'NameID')[0];
  const nameId = textOf(nameIdNode);
  if (!nameId) {
    throw new SamlRejection('unsupported', 'the assertion has no NameID (encrypted NameIDs are not supported)');
  }
  const nameIdFormat = attr(nameIdNode, 'Format') ?? null;
  if (nameIdFormat === TRANSIENT) {
    throw new SamlRejection('unsupported', 'the NameID is transient, so it cannot identify a returning user; configure a persistent, email or unspecified NameID');
  }
  const confirmedUntil = confirmBearer(children(subject, 'SubjectConfirmation'), expect);
  if (children(assertion, 'AuthnStatement').length === 0) {
    throw new SamlRejection('invalid', 'the assertion has no AuthnStatement');
  }
  const conditionsUntil = instant(attr(children(assertion, 'Conditions')[0], 'NotOnOrAfter'), 'Conditions NotOnOrAfter');
  const until = conditionsUntil === null ? confirmedUntil : Math.min(confirmedUntil, conditionsUntil);
  return { id, nameId, nameIdFormat, acceptableUntilMs: until + expect.skewMs };
}

/** Finds a bearer confirmation addressed to us, for our request, still valid; returns its NotOnOrAfter. */
function confirmBearer(confirmations: XmlElement[], expect: AssertionExpectations): number {
  let why = new SamlRejection('invalid', 'the assertion has no bearer SubjectConfirmation');
  for (const confirmation of confirmations) {
    if (attr(confirmation, 'Method') !== BEARER) {
      continue;
    }
    const data = children(confirmation, 'SubjectConfirmationData')[0];
    const recipient = attr(data, 'Recipient');
    const inResponseTo = attr(data, 'InResponseTo');
    const notOnOrAfter = instant(attr(data, 'NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
    const notBefore = instant(attr(data, 'NotBefore'), 'SubjectConfirmationData NotBefore');
    if (recipient !== expect.acsUrl) {
      why = new SamlRejection('misdirected', `recipient ${JSON.stringify(recipient ?? null)} is not this gateway's ACS ${JSON.stringify(expect.acsUrl)}`);
    } else if (inResponseTo !== expect.inResponseTo) {
      why = new SamlRejection('unsolicited', `the subject confirmation answers ${JSON.stringify(inResponseTo ?? null)}, not the request ${JSON.stringify(expect.inResponseTo)}`);
    } else if (notOnOrAfter === null) {
      why = new SamlRejection('invalid', 'the subject confirmation has no NotOnOrAfter');
    } else if (expect.nowMs - expect.skewMs >= notOnOrAfter) {
      why = new SamlRejection('expired', 'the subject confirmation has expired');
    } else if (notBefore !== null && expect.nowMs + expect.skewMs < notBefore) {
      why = new SamlRejection('expired', 'the subject confirmation is not yet valid');
    } else {
      return notOnOrAfter;
    }
  }
  throw why;
}

/**
 * Refuses a response any of whose XML signatures uses an algorithm outside the accepted ones, so
 * that a SHA-1 signature node-saml verified is still not taken as proof. Called on the response that
 * node-saml already parsed and verified, with the same parser and the same leniency (errors refuse,
 * warnings do not), so both read the same elements.
 */
export function assertStrongSignatures(xml: string): void {
  const refuse = (message: string): never => {
    throw new SamlRejection('invalid', `the response does not parse as XML: ${message}`);
  };
  const doc = new DOMParser({ errorHandler: { warning: () => undefined, error: refuse, fatalError: refuse } }).parseFromString(xml, 'text/xml');
  for (const kind of ['SignatureMethod', 'DigestMethod'] as const) {
    const elements = doc.getElementsByTagNameNS(XMLDSIG_NS, kind);
    for (let i = 0; i < elements.length; i++) {
      const algorithm = elements.item(i)?.getAttribute('Algorithm') ?? '';
      if (!STRONG_ALGORITHMS[kind].has(algorithm)) {
        throw new SamlRejection('unsupported', `the response is signed with ${JSON.stringify(algorithm)} (${kind}); use RSA-SHA256 or stronger`);
      }
    }
  }
}

/**
 * The Destination attribute of the response's root element, or null when it has none. The response
 * was already parsed as XML by node-saml, so its root start tag is well formed: after the optional
 * declaration, comments and processing instructions, a sequence of `name="value"` attributes.
 */
export function responseDestination(xml: string): string | null {
  const prolog = /^(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->)*/.exec(xml)![0];
  const start = /^<(?:[A-Za-z_][\w.-]*:)?Response((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/.exec(xml.slice(prolog.length));
  if (!start) {
    throw new SamlRejection('invalid', 'the message is not a SAML Response');
  }
  for (const m of start[1]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    if (m[1] === 'Destination') {
      return decodeEntities(m[2] ?? m[3] ?? '');
    }
  }
  return null;
}

function decodeEntities(value: string): string {
  return value.replace(/&(?:#x([0-9a-fA-F]+)|#(\d+)|(amp|lt|gt|quot|apos));/g, (_, hex: string, dec: string, name: string) => {
    if (hex) {
      return String.fromCodePoint(parseInt(hex, 16));
    }
    if (dec) {
      return String.fromCodePoint(parseInt(dec, 10));
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name as 'amp']!;
  });
}
