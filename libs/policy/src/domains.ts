import { domainToASCII } from 'node:url';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The canonical form of a domain name in a policy list or an email address: lower case, ASCII
 * (international names become their `xn--` form), no trailing dot. Null when it is not a domain name.
 * A single label (`ru`) is allowed, so that a whole top-level domain can be listed.
 */
export function normalizeDomain(raw: string): string | null {
  const ascii = domainToASCII(raw.trim());
  const labels = ascii.split('.');
  const valid = ascii.length > 0 && ascii.length <= 253 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
  return valid ? ascii : null;
}

/** The canonical domain of an email address (the part after the last `@`), or null when there is none. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@');
  return at > 0 ? normalizeDomain(email.slice(at + 1)) : null;
}

/** `example.com` covers `example.com` and every subdomain of it (`sub.example.com`), nothing else. */
export function domainCovers(pattern: string, domain: string): boolean {
  return domain === pattern || domain.endsWith(`.${pattern}`);
}

/** Whether any entry of `list` covers `domain`. */
export function coveredBy(domain: string, list: readonly string[]): boolean {
  return list.some((pattern) => domainCovers(pattern, domain));
}

/** The list without duplicates and without entries that another entry already covers. */
export function minimalDomains(list: readonly string[]): string[] {
  const unique = [...new Set(list)];
  return unique.filter((d) => !unique.some((other) => other !== d && domainCovers(other, d)));
}

/** The domains covered by both lists (each list covering its entries and their subdomains). */
export function intersectDomains(a: readonly string[], b: readonly string[]): string[] {
  const common = a.flatMap((x) => b.flatMap((y) => (domainCovers(x, y) ? [y] : domainCovers(y, x) ? [x] : [])));
  return minimalDomains(common);
}

/** The domains covered by either list. */
export function unionDomains(a: readonly string[], b: readonly string[]): string[] {
  return minimalDomains([...a, ...b]);
}
