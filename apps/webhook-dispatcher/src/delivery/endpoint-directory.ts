import { Injectable } from '@nestjs/common';
import { KeyRing } from '@ais/crypto';
import { WebhookEndpointRepository, type WebhookEndpointRecord } from '@ais/db';
import { WebhookSigner } from './webhook-signer.js';

export interface EndpointEntry {
  id: string;
  tenantId: string;
  enabled: boolean;
  url: URL;
  signer: WebhookSigner;
  updatedAt: Date;
}

/**
 * The endpoints this process delivers to: URL and signer (secrets opened with the key ring once per
 * endpoint version, not per attempt). Claims carry each endpoint's updated_at, so a changed URL,
 * secret or status is picked up before the next delivery of that endpoint.
 */
@Injectable()
export class EndpointDirectory {
  private readonly entries = new Map<string, EndpointEntry>();

  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly keyRing: KeyRing,
  ) {}

  get(id: string): EndpointEntry | undefined {
    return this.entries.get(id);
  }

  /** Loads endpoints that are unknown or older than the version a claim saw. */
  async ensure(versions: Map<string, Date>): Promise<void> {
    const stale = [...versions].filter(([id, updatedAt]) => {
      const entry = this.entries.get(id);
      return !entry || entry.updatedAt < updatedAt;
    });
    if (stale.length > 0) await this.refresh(stale.map(([id]) => id));
  }

  /** Re-reads these endpoints; returns the ids that are gone or no longer enabled. */
  async refresh(ids: string[]): Promise<string[]> {
    const rows = await this.endpoints.findByIds(ids);
    const found = new Set<string>();
    for (const row of rows) {
      found.add(row.id);
      this.entries.set(row.id, this.entryOf(row));
    }
    for (const id of ids) if (!found.has(id)) this.entries.delete(id);
    return ids.filter((id) => !this.entries.get(id)?.enabled);
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  private entryOf(row: WebhookEndpointRecord): EndpointEntry {
    const secret = this.keyRing.openText(row.secretEncrypted, row.id);
    const previous =
      row.previousSecretEncrypted && row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date()
        ? { secret: this.keyRing.openText(row.previousSecretEncrypted, row.id), expiresAt: row.previousSecretExpiresAt }
        : null;
    return {
      id: row.id,
      tenantId: row.tenantId,
      enabled: row.status === 'enabled',
      url: new URL(row.url),
      signer: new WebhookSigner(secret, previous),
      updatedAt: row.updatedAt,
    };
  }
}
