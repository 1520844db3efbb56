import { BankHttpError } from '../core/http.js';

/** A Berlin Group NextGenPSD2 error: `{ "tppMessages": [{ "category": "ERROR", "code", "text" }] }`. */
export class BgError extends BankHttpError {
  constructor(
    status: number,
    readonly code: string,
    text: string,
    readonly path?: string,
    headers: Record<string, string> = {},
  ) {
    super(status, text, headers);
  }

  body() {
    if (this.status === 503 || this.status === 204) return undefined;
    return {
      tppMessages: [
        {
          category: 'ERROR',
          code: this.code,
          text: this.message.slice(0, 500),
          ...(this.path ? { path: this.path } : {}),
        },
      ],
    };
  }

  static format(text: string, path?: string) {
    return new BgError(400, 'FORMAT_ERROR', text, path);
  }
}
