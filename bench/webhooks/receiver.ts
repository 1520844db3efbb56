// A bare subscriber for the benchmark, in its own process so it does not share an event loop with
// what it measures: answers 204 to every POST, records when each webhook-id first arrived.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
let received = 0;
let duplicates = 0;
const firstArrival = new Map<string, number>();
let lastArrival = 0;

const now = () => performance.timeOrigin + performance.now();

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/reset') {
      received = 0;
      duplicates = 0;
      firstArrival.clear();
      lastArrival = 0;
      res.end('{}');
      return;
    }
    const detail = url.searchParams.get('detail') === '1';
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        received,
        unique: firstArrival.size,
        duplicates,
        lastArrival,
        arrivals: detail ? [...firstArrival] : undefined,
      }),
    );
    return;
  }
  req.resume();
  req.on('end', () => {
    const t = now();
    received++;
    lastArrival = t;
    // Fan-out sends one id to many endpoints: there only the count matters.
    if (req.url?.startsWith('/fan/')) return void res.writeHead(204).end();
    const key = `${req.url}|${String(req.headers['webhook-id'])}`;
    if (firstArrival.has(key)) duplicates++;
    else firstArrival.set(key, t);
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
