import { InvalidOptionError } from './errors';

// RFC 6455 §4.1: each sub-protocol is an RFC 7230 token, and none repeats.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The sub-protocols to offer, checked as the browser checks them; throws {@link InvalidOptionError} otherwise. */
export function validateProtocols(protocols: unknown): string | readonly string[] | undefined {
  if (protocols === undefined) return undefined;
  const list: unknown = typeof protocols === 'string' ? [protocols] : protocols;
  if (!Array.isArray(list))
    throw new InvalidOptionError(
      'protocols',
      protocols,
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__ ? 'a string or an array of strings' : '',
    );
  // Every index, the holes of a sparse array included (they are not strings).
  for (const [index, protocol] of (list as unknown[]).entries()) {
    const broken =
      typeof protocol !== 'string' || !TOKEN.test(protocol)
        ? typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
          ? 'a non-empty token, without spaces or separators'
          : 'token'
        : list.indexOf(protocol) < index &&
          (typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__ ? 'sub-protocols must not repeat' : 'repeat');
    // Values are left out of the message: sub-protocols sometimes carry tokens.
    if (broken) throw new InvalidOptionError(`protocols[${index}]`, protocol, broken, true);
  }
  return protocols as string | readonly string[];
}
