import { loadConfig, runtimeSection, sandboxSection } from '@ais/config';
import { installShutdownTimeout } from '@ais/http-kit';
import { createLogger } from '@ais/observability';
import { startSandbox } from './sandbox.js';

const config = loadConfig({ runtime: runtimeSection, sandbox: sandboxSection });
const logger = createLogger('sandbox-bank', config.runtime.logLevel);
const s = config.sandbox;

const sandbox = await startSandbox({
  host: s.host,
  port: s.port,
  mtlsPort: s.mtlsPort,
  publicUrl: s.publicUrl,
  mtlsPublicUrl: s.mtlsPublicUrl,
  tlsHosts: s.tlsHosts,
  seed: s.seed,
  dataEpoch: s.dataEpoch,
  clockStart: s.clockStart,
  clockScale: s.clockScale,
  pageSize: s.pageSize,
  // The real bank always remembers: its state is in PostgreSQL (SANDBOX_DATABASE_URL, default DATABASE_URL).
  databaseUrl: s.databaseUrl,
  mtlsEnabled: s.mtlsEnabled,
  logger,
});
installShutdownTimeout(logger, config.runtime.shutdownTimeoutMs);
logger.info({ url: sandbox.url, mtlsUrl: sandbox.mtlsUrl }, 'sandbox banks listening');
