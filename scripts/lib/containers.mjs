// `npm test` on a machine with a Docker engine: PostgreSQL, Redis and NATS as throwaway containers
// (testcontainers), so a test run never touches the developer's own databases and always gets the same
// versions; stopped when the run ends. Without a Docker engine the tests use the local services
// (services.mjs), as `npm start` does. DATABASE_URL / REDIS_URL / NATS_URL set by hand win over both.
import { info, step } from './log.mjs';

export const IMAGES = { postgres: 'postgres:16-alpine', redis: 'redis:7-alpine', nats: 'nats:2.10-alpine' };

/** Which services a test run uses: the ones named in the environment, containers, or the local ones. */
export function serviceSource(env, dockerReachable) {
  if (env.DATABASE_URL || env.REDIS_URL || env.NATS_URL) return 'environment';
  return dockerReachable ? 'containers' : 'local';
}

/** Whether testcontainers finds a container runtime (Docker, Podman, a remote DOCKER_HOST). */
export async function dockerReachable() {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function startTestContainers() {
  step('Starting PostgreSQL, Redis and NATS containers (testcontainers)…');
  const { GenericContainer, Wait } = await import('testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { RedisContainer } = await import('@testcontainers/redis');
  const [postgres, redis, nats] = await Promise.all([
    new PostgreSqlContainer(IMAGES.postgres)
      .withUsername('postgres')
      .withPassword('postgres')
      .withDatabase('ais_gateway')
      // Many test databases and connections at once, as the local server allows.
      .withCommand(['postgres', '-c', 'max_connections=300', '-c', 'fsync=off'])
      .start(),
    new RedisContainer(IMAGES.redis).start(),
    new GenericContainer(IMAGES.nats)
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .start(),
  ]);
  const urls = {
    databaseUrl: postgres.getConnectionUri(),
    redisUrl: redis.getConnectionUrl(),
    natsUrl: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`,
  };
  info(
    `PostgreSQL, Redis and NATS in containers (${Object.values(urls)
      .map((u) => new URL(u).host)
      .join(', ')})`,
  );
  return { ...urls, stop: () => Promise.all([postgres.stop(), redis.stop(), nats.stop()]) };
}
