import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '@ais/http-kit';
import type { Logger } from '@ais/observability';
import { installBodyParsers, withoutTrailingSlash } from './core/http.js';
import { SandboxContext, type SandboxOptions } from './sandbox-context.js';
import { SandboxModule } from './sandbox.module.js';

export interface SandboxStartOptions extends Omit<SandboxOptions, 'publicUrl' | 'mtlsPublicUrl'> {
  host: string;
  port: number;
  mtlsPort: number;
  /** Defaults to http://<host>:<bound port>. */
  publicUrl?: string;
  mtlsPublicUrl?: string;
  /**
   * Extra DNS names / IP addresses the mTLS listener's certificate is valid for, beside localhost,
   * 127.0.0.1, ::1 and the hosts of the public URLs (e.g. the compose service name `sandbox-bank`).
   */
  tlsHosts?: readonly string[];
  logger: Logger;
}

export interface RunningSandbox {
  app: NestFastifyApplication;
  ctx: SandboxContext;
  /** e.g. http://127.0.0.1:3100 */
  url: string;
  /** e.g. https://localhost:3443, or undefined when mTLS is disabled. */
  mtlsUrl?: string;
  /** The port the mTLS listener is bound to, or undefined when mTLS is disabled. */
  mtlsPort?: number;
  close(): Promise<void>;
}

/**
 * The mTLS listener's certificate: valid for every name a client may reach it by, so a client that
 * verifies the host name (the connectors do) accepts it: localhost and the loopback addresses, the
 * hosts of the public URLs the banks advertise, and `tlsHosts` (e.g. a compose service name).
 */
function serverCertificate(names: readonly string[]): { subjectDn: string; server: { dns: string[]; ips: string[] } } {
  const dns = new Set<string>(['localhost']);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  for (const raw of names) {
    const name = raw.trim().replace(/^\[(.*)\]$/, '$1'); // a URL's IPv6 host comes in brackets
    if (!name) continue;
    if (isIP(name)) ips.add(name);
    else dns.add(name.toLowerCase());
  }
  return { subjectDn: 'CN=localhost, O=AIS Gateway Sandbox, C=GB', server: { dns: [...dns], ips: [...ips] } };
}

/**
 * Starts the sandbox banks: one Nest/Fastify app on the HTTP port and, for Allstar's tls_client_auth
 * and certificate-bound tokens, the same routes on an HTTPS listener that asks for client certificates
 * issued by the sandbox CA. Port 0 binds an ephemeral port (tests). With `databaseUrl` the state is
 * loaded from and written to PostgreSQL (close() writes the last changes); without it, memory only.
 */
export async function startSandbox(options: SandboxStartOptions): Promise<RunningSandbox> {
  const sandboxOptions: SandboxOptions = {
    ...options,
    publicUrl: options.publicUrl ?? '',
    mtlsPublicUrl: options.mtlsPublicUrl ?? '',
  };
  const ctx = await SandboxContext.create(sandboxOptions);
  try {
    return await serve(ctx, sandboxOptions, options);
  } catch (error) {
    await ctx.close();
    throw error;
  }
}

async function serve(
  ctx: SandboxContext,
  sandboxOptions: SandboxOptions,
  options: SandboxStartOptions,
): Promise<RunningSandbox> {
  const app = await createHttpApp(SandboxModule.forContext(ctx), {
    service: 'sandbox-bank',
    logger: options.logger,
    bodyLimitBytes: 1_048_576,
    configureFastify: (a) => installBodyParsers(a),
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Both listeners route through one dispatcher that ignores a trailing slash (`/allstar/` is
  // `/allstar`). Fastify 5 has this as routerOptions.ignoreTrailingSlash, but router options are fixed
  // when the instance is built and createHttpApp (shared by every app) builds it without them; the
  // sandbox owns its listeners, so it applies the same rule in front of the router. fastify.routing is
  // the handler Fastify attached to its HTTP server: it is swapped for the dispatcher, loudly. (Bind
  // SANDBOX_HOST to an address: for the name `localhost` Fastify adds a second server of its own.)
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    req.url = withoutTrailingSlash(req.url ?? '/');
    fastify.routing(req, res);
  };
  if (!fastify.server.listeners('request').includes(fastify.routing))
    throw new Error(
      'Fastify no longer serves its HTTP server through fastify.routing: revisit the trailing-slash dispatcher',
    );
  fastify.server.removeListener('request', fastify.routing);
  fastify.server.on('request', dispatch);
  await app.listen(options.port, options.host);
  const port = (fastify.server.address() as AddressInfo).port;
  const hostForUrl = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  if (!options.publicUrl) sandboxOptions.publicUrl = `http://${hostForUrl}:${port}`;

  let tls: Server | undefined;
  let mtlsUrl: string | undefined;
  let mtlsPort: number | undefined;
  if (options.mtlsEnabled) {
    const certificate = serverCertificate([
      new URL(sandboxOptions.publicUrl).hostname,
      ...(options.mtlsPublicUrl ? [new URL(options.mtlsPublicUrl).hostname] : []),
      ...(options.tlsHosts ?? []),
    ]);
    const serverCert = await ctx.ca.issue(certificate);
    tls = createServer(
      {
        key: serverCert.privateKeyPem,
        cert: serverCert.certificatePem,
        ca: [ctx.ca.caPem],
        requestCert: true,
        rejectUnauthorized: false,
      },
      dispatch,
    );
    const server = tls;
    // A reset makes a new CA: the listener takes a certificate from it and trusts only it.
    ctx.onReset(async () => {
      const cert = await ctx.ca.issue(certificate);
      server.setSecureContext({ key: cert.privateKeyPem, cert: cert.certificatePem, ca: [ctx.ca.caPem] });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.mtlsPort, options.host, () => resolve());
    });
    mtlsPort = (server.address() as AddressInfo).port;
    mtlsUrl = options.mtlsPublicUrl ?? `https://localhost:${mtlsPort}`;
    sandboxOptions.mtlsPublicUrl = mtlsUrl;
  }
  return {
    app,
    ctx,
    url: sandboxOptions.publicUrl,
    mtlsUrl,
    mtlsPort,
    async close() {
      if (tls) {
        const server = tls;
        server.closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await app.close();
      await ctx.close();
    },
  };
}
