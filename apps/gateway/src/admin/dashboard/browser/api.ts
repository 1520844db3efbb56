// The admin API as the dashboard calls it. The token lives in sessionStorage and leaves the page only
// as the Authorization header of same-origin fetches: never in a URL, a cookie or a body.

const TOKEN_KEY = 'ais.adminToken';

/** Thrown after a 401: the page is back at the sign-in form, nothing more to say. */
export class Unauthorised extends Error {
  constructor() {
    super('The admin token was refused.');
  }
}

let refused: (reason: string) => void = () => undefined;

/** What to do when the API refuses the token (sign out with that reason). */
export function onRefused(handler: (reason: string) => void): void {
  refused = handler;
}

export function token(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Keeps the token for this tab; false when the browser allows no session storage. */
export function keepToken(value: string): boolean {
  try {
    sessionStorage.setItem(TOKEN_KEY, value);
    return true;
  } catch {
    return false;
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing kept
  }
}

function idempotencyKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `dash-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

interface Problem {
  detail?: string;
  title?: string;
}

/** The one place the token leaves sessionStorage: an Authorization header on a same-origin request. */
export async function api<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token() ?? ''}`, Accept: 'application/json' };
  if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey();
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
    redirect: 'error',
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (res.status === 401) {
    refused('The admin token was refused: enter it again.');
    throw new Unauthorised();
  }
  if (!res.ok) {
    const problem = (body ?? {}) as Problem;
    throw new Error(problem.detail || problem.title || `HTTP ${res.status}`);
  }
  return body as T;
}

/** A path segment or query value. */
export const q = (value: string): string => encodeURIComponent(value);
