import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppError } from '@ais/domain';

/**
 * The deepest JSON body an app parses (objects and arrays inside each other). Our deepest request body
 * is a handful of levels; validation and class-transformer walk a body recursively, so a body nested
 * thousands deep would exhaust the stack (a 500) if it were ever parsed.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`: one pass over the bytes, counting
 * brackets outside strings, with no recursion (so it cannot itself run out of stack). It does not check
 * that the text is valid JSON: the parser does that afterwards.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === BACKSLASH) i++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if ((char === CLOSE_BRACE || char === CLOSE_BRACKET) && depth > 0) {
      depth--;
    }
  }
  return false;
}

/**
 * The app's `application/json` parser: Fastify's own (secure-json-parse, with prototype-poisoning
 * checks and its error codes), behind the depth check, so a body nested deeper than `maxDepth` is a
 * 400 `body_too_deep` before anything parses or walks it. Registered through Nest's useBodyParser, so
 * Nest does not add its default JSON parser on top; an app may still replace it (the sandbox banks do).
 */
export function installJsonBodyParser(app: NestFastifyApplication, maxDepth = MAX_JSON_DEPTH): void {
  const fastify = app.getHttpAdapter().getInstance();
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  app.useBodyParser('application/json', { bodyLimit: fastify.initialConfig.bodyLimit }, (request, raw, done) => {
    const body = raw.toString('utf8');
    if (jsonDepthExceeds(body, maxDepth)) {
      done(new AppError('body_too_deep', `The JSON body nests objects and arrays deeper than ${maxDepth} levels.`));
      return;
    }
    void parse(request as Parameters<typeof parse>[0], body, done);
  });
}
