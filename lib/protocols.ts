import { InvalidOptionError } from './errors';

// RFC 6455 §4.1: each sub-protocol is an RFC 7230 token, and none repeats.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The sub-protocols to offer, checked as the browser checks them; throws {@link InvalidOptionError} otherwise. */
export function validateProtocols(protocols: unknown): string | readonly string[] | undefined {
  if (protocols === undefined) return undefined;
  const list = typeof protocols === 'string' ? [protocols] : protocols;
  if (!Array.isArray(list)) throw new InvalidOptionError('protocols', protocols, 'a string or an array of strings');
  const seen = new Set<string>();
  for (const [index, protocol] of (list as unknown[]).entries()) {
    // Values are left out of these messages: sub-protocols sometimes carry tokens.
    if (typeof protocol !== 'string' || !TOKEN.test(protocol)) {
      throw new InvalidOptionError(
        `protocols[${index}]`,
        protocol,
        'each sub-protocol must be a non-empty token without spaces or separators',
        true,
      );
    }
    if (seen.has(protocol)) {
      throw new InvalidOptionError(`protocols[${index}]`, protocol, 'sub-protocols must not repeat', true);
    }
    seen.add(protocol);
  }
  return protocols as string | readonly string[];
}
