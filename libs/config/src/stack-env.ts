/**
 * The one place that lays out a whole local stack: which port each app listens on, the URLs an end
 * user's browser is given (the gateway's public URL, the sandbox banks' pages) and the URLs the apps
 * call each other by. `npm start`, the e2e tests' stack and docker compose's environment (checked by a
 * test) all come from here, so a difference between what a user runs and what the tests run, such as
 * `localhost` for the browser but `127.0.0.1` for the connectors, can no longer hide from the tests.
 *
 * Pure: it reads no environment. Its module imports nothing, so plain Node scripts can load it from
 * dist/ before anything else is installed.
 */
export interface StackLayout {
  ports: StackPorts;
  /** The host an end user's browser reaches the stack by (default `localhost`). */
  publicHost?: string;
  /** The host the connectors reach the sandbox banks by (default `127.0.0.1`; a service name in compose). */
  sandboxHost?: string;
  /**
   * Where the demo's webhook receiver listens on this machine (default DEFAULT_DEMO_WEBHOOK_PORT): the
   * only loopback port webhooks may be sent to (WEBHOOK_ALLOWED_PRIVATE_TARGETS), over plain http.
   */
  webhookReceiverPort?: number;
}

export interface StackPorts {
  gateway: number;
  consentService: number;
  connectorService: number;
  syncWorker: number;
  webhookDispatcher: number;
  sandbox: number;
  sandboxMtls: number;
}

export const DEFAULT_STACK_PORTS: StackPorts = {
  gateway: 3000,
  consentService: 3001,
  connectorService: 3002,
  syncWorker: 3003,
  webhookDispatcher: 3004,
  sandbox: 3100,
  sandboxMtls: 3443,
};

/** The demo webhook receiver's port (not an app of the stack: whatever the user runs to watch webhooks arrive). */
export const DEFAULT_DEMO_WEBHOOK_PORT = 3900;
export const DEMO_WEBHOOK_PORT_VAR = 'DEMO_WEBHOOK_PORT';

/** The variable each port is read from, in the order the apps start (the sandbox banks first). */
export const STACK_PORT_VARS: Record<keyof StackPorts, string> = {
  sandbox: 'SANDBOX_PORT',
  sandboxMtls: 'SANDBOX_MTLS_PORT',
  connectorService: 'CONNECTOR_SERVICE_PORT',
  consentService: 'CONSENT_SERVICE_PORT',
  syncWorker: 'SYNC_WORKER_PORT',
  webhookDispatcher: 'WEBHOOK_DISPATCHER_PORT',
  gateway: 'GATEWAY_PORT',
};

/** The ports of a stack: each `*_PORT` variable of `env` that is set, the defaults otherwise. */
export function stackPorts(env: Record<string, string | undefined>): StackPorts {
  const ports = { ...DEFAULT_STACK_PORTS };
  for (const [key, name] of Object.entries(STACK_PORT_VARS) as [keyof StackPorts, string][]) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw new Error(`${name} must be a port number (1-65535), not "${value}"`);
    ports[key] = port;
  }
  return ports;
}

/** The demo webhook receiver's port: DEMO_WEBHOOK_PORT if set, else the default. */
export function demoWebhookPort(env: Record<string, string | undefined>): number {
  const value = env[DEMO_WEBHOOK_PORT_VAR];
  if (value === undefined || value === '') return DEFAULT_DEMO_WEBHOOK_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`${DEMO_WEBHOOK_PORT_VAR} must be a port number (1-65535), not "${value}"`);
  return port;
}

/** The environment every app of the stack gets, on top of the secrets and the database/Redis URLs. */
export function stackEnv(layout: StackLayout): Record<string, string> {
  const { ports } = layout;
  const publicHost = layout.publicHost ?? 'localhost';
  const sandboxHost = layout.sandboxHost ?? '127.0.0.1';
  const receiverPort = layout.webhookReceiverPort ?? DEFAULT_DEMO_WEBHOOK_PORT;
  const publicUrl = `http://${publicHost}:${ports.gateway}`;
  return {
    ...Object.fromEntries(
      (Object.entries(STACK_PORT_VARS) as [keyof StackPorts, string][]).map(([key, name]) => [
        name,
        String(ports[key]),
      ]),
    ),
    PUBLIC_URL: publicUrl,
    // The callback registered at the banks: the gateway's own, under its public URL.
    TPP_REDIRECT_URI: `${publicUrl}/v1/callback`,
    // What the sandbox banks write into their pages, discovery documents, links and SSAs...
    SANDBOX_PUBLIC_URL: `http://${publicHost}:${ports.sandbox}`,
    SANDBOX_MTLS_PUBLIC_URL: `https://${publicHost}:${ports.sandboxMtls}`,
    // ...and where the connectors call them: a bank may well name itself otherwise than we reach it.
    CONNECTOR_SANDBOX_URL: `http://${sandboxHost}:${ports.sandbox}`,
    CONNECTOR_SANDBOX_MTLS_URL: `https://${sandboxHost}:${ports.sandboxMtls}`,
    // The demo's webhook receiver runs on this machine: its port (IPv4 and IPv6 loopback, so also
    // http://localhost:<port>), and no other. Redis, Postgres and the gateway's own /admin stay refused.
    WEBHOOK_ALLOWED_PRIVATE_TARGETS: `127.0.0.1:${receiverPort},[::1]:${receiverPort}`,
  };
}
