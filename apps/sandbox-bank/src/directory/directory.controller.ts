import { randomBytes } from 'node:crypto';
import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { MalformedBody, sendJson } from '../core/http.js';
import { SandboxContext } from '../sandbox-context.js';

const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).loose();
const softwareSchema = z
  .object({
    client_name: z.string().min(1).max(100).default('Sandbox TPP'),
    org_id: z
      .string()
      .regex(/^[0-9a-zA-Z]{1,18}$/)
      .optional(),
    redirect_uris: z.array(z.url()).min(1),
    jwks: jwksSchema,
    roles: z.array(z.enum(['AISP', 'PISP', 'CBPII'])).default(['AISP']),
  })
  .strict();
const certificateSchema = z
  .object({
    software_id: z.string().min(1),
    public_key_pem: z.string().includes('BEGIN PUBLIC KEY').optional(),
  })
  .strict();

/**
 * The sandbox's stand-in for the OBIE Directory: signs software statements (SSA) for a TPP's public
 * keys, hosts those keys at `software_jwks_endpoint`, and issues transport certificates from the
 * sandbox CA for mutual TLS: Allstar's transport certificate and Salt Bank's QWAC stand-in.
 */
@Controller('directory')
export class DirectoryController {
  constructor(private readonly ctx: SandboxContext) {}

  private fail(reply: FastifyReply, status: number, error: string, description: string) {
    sendJson(reply, status, { error, error_description: description });
  }

  @Get('jwks')
  jwks(@Res() reply: FastifyReply) {
    sendJson(reply, 200, { keys: [this.ctx.directoryKey.publicJwk] });
  }

  @Get('ca.pem')
  caPem(@Res() reply: FastifyReply) {
    void reply.status(200).header('content-type', 'application/x-pem-file').send(this.ctx.ca.caPem);
  }

  @Post('software-statements')
  async createSoftware(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    if (req.body instanceof MalformedBody || typeof req.body !== 'object' || req.body === null)
      return this.fail(reply, 400, 'invalid_request', 'Send a JSON body');
    const parsed = softwareSchema.safeParse(req.body);
    if (!parsed.success)
      return this.fail(
        reply,
        400,
        'invalid_request',
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    for (const key of parsed.data.jwks.keys) {
      if ('d' in key || 'p' in key) return this.fail(reply, 400, 'invalid_request', 'jwks must hold public keys only');
    }
    const softwareId = randomBytes(11).toString('hex').slice(0, 22);
    const orgId = parsed.data.org_id ?? `0015800001${randomBytes(4).toString('hex').toUpperCase()}`;
    this.ctx.store.software.set(softwareId, {
      softwareId,
      orgId,
      clientName: parsed.data.client_name,
      redirectUris: parsed.data.redirect_uris,
      jwks: parsed.data.jwks,
      roles: parsed.data.roles,
      createdAt: Date.now(),
    });
    this.ctx.store.changed();
    const jwksEndpoint = `${this.ctx.options.publicUrl}/directory/software/${softwareId}/jwks`;
    const ssa = await new SignJWT({
      software_id: softwareId,
      software_client_id: softwareId,
      software_client_name: parsed.data.client_name,
      software_redirect_uris: parsed.data.redirect_uris,
      software_roles: parsed.data.roles,
      software_jwks_endpoint: jwksEndpoint,
      software_mode: 'Test',
      org_id: orgId,
      org_name: parsed.data.client_name,
      org_status: 'Active',
      org_jwks_endpoint: jwksEndpoint,
    })
      .setProtectedHeader({ alg: 'PS256', kid: this.ctx.directoryKey.kid, typ: 'JWT' })
      .setIssuer('OpenBanking Ltd')
      .setIssuedAt()
      .setJti(randomBytes(16).toString('hex'))
      .sign(this.ctx.directoryKey.privateKey);
    sendJson(reply, 201, {
      software_id: softwareId,
      org_id: orgId,
      software_statement: ssa,
      software_jwks_endpoint: jwksEndpoint,
    });
  }

  @Get('software/:softwareId/jwks')
  softwareJwks(@Param('softwareId') softwareId: string, @Res() reply: FastifyReply) {
    const software = this.ctx.store.software.get(softwareId);
    if (!software) return this.fail(reply, 404, 'not_found', 'No such software statement');
    sendJson(reply, 200, software.jwks);
  }

  /** Issues a transport certificate (subject CN=<software_id>, OU=<org_id>, O=OpenBanking, C=GB). */
  @Post('certificates')
  async issueCertificate(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const parsed = certificateSchema.safeParse(req.body);
    if (!parsed.success)
      return this.fail(
        reply,
        400,
        'invalid_request',
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    const software = this.ctx.store.software.get(parsed.data.software_id);
    if (!software) return this.fail(reply, 404, 'not_found', 'No such software statement');
    try {
      const issued = await this.ctx.ca.issue({
        subjectDn: `CN=${software.softwareId}, OU=${software.orgId}, O=OpenBanking, C=GB`,
        publicKeyPem: parsed.data.public_key_pem,
      });
      this.ctx.store.certificates.set(issued.serialNumber, {
        serialNumber: issued.serialNumber,
        softwareId: software.softwareId,
        subjectDn: issued.subjectDn,
        thumbprintS256: issued.thumbprintS256,
        issuedAt: Date.now(),
      });
      this.ctx.store.changed();
      sendJson(reply, 201, {
        certificate_pem: issued.certificatePem,
        private_key_pem: issued.privateKeyPem,
        ca_pem: this.ctx.ca.caPem,
        subject_dn: `CN=${software.softwareId},OU=${software.orgId},O=OpenBanking,C=GB`,
        x5t_s256: issued.thumbprintS256,
      });
    } catch (e) {
      this.fail(reply, 400, 'invalid_request', (e as Error).message);
    }
  }
}
