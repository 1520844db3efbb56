import http from 'node:http';

/** The tenant's redirect target in tests: records every request's query. */
export interface Receiver {
  url: string;
  next(timeoutMs?: number): Promise<URLSearchParams>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const queue: URLSearchParams[] = [];
  const waiters: Array<(q: URLSearchParams) => void> = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/cb') {
      res.writeHead(404).end(); // e.g. the browser's /favicon.ico
      return;
    }
    const query = url.searchParams;
    const waiter = waiters.shift();
    if (waiter) waiter(query);
    else queue.push(query);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>back at the tenant</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/cb`,
    next: (timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const queued = queue.shift();
        if (queued) return resolve(queued);
        const timer = setTimeout(() => reject(new Error('the tenant redirect never arrived')), timeoutMs);
        waiters.push((q) => {
          clearTimeout(timer);
          resolve(q);
        });
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
