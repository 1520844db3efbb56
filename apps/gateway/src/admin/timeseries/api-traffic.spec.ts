import { isApiRoute, trafficSince } from './api-traffic.js';

const sample = (route: string, status: number, value: number, method = 'GET') => ({
  labels: { method, route, status: String(status) },
  value,
});

describe('API traffic from the request counters', () => {
  it('counts what each series grew by, 4xx and 5xx apart', () => {
    const first = trafficSince(new Map(), [
      sample('/v1/accounts', 200, 10),
      sample('/v1/accounts', 404, 2),
      sample('/v1/consents', 500, 1, 'POST'),
    ]);
    expect(first.figures).toEqual({ requests: 13, clientErrors: 2, serverErrors: 1 });
    const second = trafficSince(first.counts, [
      sample('/v1/accounts', 200, 15),
      sample('/v1/accounts', 404, 2),
      sample('/v1/consents', 500, 1, 'POST'),
      sample('unmatched', 404, 3),
    ]);
    expect(second.figures).toEqual({ requests: 8, clientErrors: 3, serverErrors: 0 });
  });

  it('leaves out the operators’ surface, the scrape and the probes', () => {
    expect(
      trafficSince(new Map(), [
        sample('/admin', 200, 4),
        sample('/admin/timeseries/queues', 200, 40),
        sample('/admin/assets/dashboard.js', 200, 4),
        sample('/metrics', 200, 9),
        sample('/health/ready', 200, 90),
        sample('/openapi.json', 200, 1),
      ]).figures,
    ).toEqual({ requests: 1, clientErrors: 0, serverErrors: 0 });
    expect(isApiRoute('/administrator')).toBe(true);
    expect(isApiRoute('/v1/oauth/token')).toBe(true);
  });

  it('takes a series that went down for a reset: all of it is new', () => {
    const before = new Map([['GET /v1/accounts 200', 50]]);
    expect(trafficSince(before, [sample('/v1/accounts', 200, 7)]).figures.requests).toBe(7);
  });
});
