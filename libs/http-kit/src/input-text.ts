import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@ais/domain';

/** Request headers whose values the apps store or look up (the rest are never written anywhere). */
export const STORED_HEADERS = ['idempotency-key', 'user-agent'] as const;

const MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text PostgreSQL cannot store (NUL) or that is not Unicode (a lone surrogate, e.g. JSON "\ud800"). */
export function isUnsafeText(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}

/**
 * Where in a parsed value (keys included) the first unsafe text is, as a field path (`body.name`,
 * `query.from`, `path.consentId`), or undefined. Iterative: a body's depth is bounded by the JSON parser,
 * but this never recurses either way.
 */
export function unsafeTextAt(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (isUnsafeText(current)) return path;
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        if (isUnsafeText(key)) return path;
        stack.push([item, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}

/**
 * One check for every app and route, before any handler, guard or query: text with a NUL (which
 * PostgreSQL refuses, failing every query batched with it) or a lone surrogate anywhere in the path
 * parameters, the query, the body (JSON or form) or a stored header is a 400 naming the field.
 */
export function installInputTextGuard(
  fastify: FastifyInstance,
  refuse: (error: AppError, request: FastifyRequest, reply: FastifyReply) => void,
): void {
  fastify.addHook('preValidation', async (request, reply) => {
    const field =
      unsafeTextAt(request.params, 'path') ??
      unsafeTextAt(request.query, 'query') ??
      unsafeTextAt(request.body, 'body') ??
      STORED_HEADERS.map((h) => unsafeTextAt(request.headers[h], `header.${h}`)).find((f) => f !== undefined);
    if (field === undefined) return;
    refuse(AppError.validation([{ field, message: `${field} ${MESSAGE}` }]), request, reply);
    return reply;
  });
}
