import { TargetRefusedError, resolveTarget, type Resolver } from './resolve.js';
import type { TargetPolicy } from './target-policy.js';

export type EndpointUrlVerdict = { ok: true; url: string } | { ok: false; message: string };

/**
 * The rules the dispatcher applies on every attempt, checked when an endpoint is created or its URL
 * changed, for a clear 400 up front: the URL's shape, then its host's addresses on its port. A name
 * that resolves to a refused address is refused now. One that cannot be resolved within `dnsTimeoutMs`
 * is accepted over https (it is checked again before every attempt) but not over plain http, which
 * only an allowed address may use. `url` is the URL as the parser normalised it (the stored form).
 */
export async function checkEndpointUrl(
  policy: TargetPolicy,
  raw: string,
  options: { dnsTimeoutMs: number; resolver?: Resolver },
): Promise<EndpointUrlVerdict> {
  const parsed = policy.parseUrl(raw);
  if (!parsed.ok) return { ok: false, message: `url ${parsed.reason}` };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = Symbol('timed out');
  try {
    const outcome = await Promise.race([
      resolveTarget(policy, parsed.target, options.resolver),
      new Promise<typeof timedOut>((resolve) => {
        timer = setTimeout(() => resolve(timedOut), options.dnsTimeoutMs);
      }),
    ]);
    if (outcome === timedOut) return unresolved(parsed.url, parsed.target.protocol);
  } catch (error) {
    if (!(error instanceof TargetRefusedError)) return unresolved(parsed.url, parsed.target.protocol);
    return {
      ok: false,
      message:
        error.kind === 'scheme'
          ? `url must use https: ${error.reason}`
          : `url must not point at a private or reserved address (${error.message})`,
    };
  } finally {
    clearTimeout(timer);
  }
  return { ok: true, url: parsed.url.toString() };
}

function unresolved(url: URL, protocol: 'http:' | 'https:'): EndpointUrlVerdict {
  if (protocol === 'https:') return { ok: true, url: url.toString() };
  return {
    ok: false,
    message: `url must use https: plain http is only allowed for targets in WEBHOOK_ALLOWED_PRIVATE_TARGETS, and ${url.hostname} could not be resolved to check`,
  };
}
