import { registerDecorator, type ValidationOptions } from 'class-validator';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Redirect URIs are matched exactly, so they must be absolute and unambiguous: https (http only for
 * loopback, as native-app guidance allows), no fragment, no credentials.
 */
export function redirectUriProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048)
    return 'must be a URL of at most 2048 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.hash) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return null;
  return 'must use https (http is allowed only for localhost)';
}

export function IsRedirectUri(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isRedirectUri',
      target: object.constructor,
      propertyName,
      options: { each: true, ...options },
      validator: {
        validate: (value: unknown) => redirectUriProblem(value) === null,
        defaultMessage: (args) =>
          `${args?.property ?? 'redirectUri'} ${redirectUriProblem(args?.value) ?? 'is invalid'}`,
      },
    });
}
