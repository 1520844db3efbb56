/** A dependency the app cannot serve without (Postgres, Redis, an RPC peer); used by /health/ready. */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<void>;
}
