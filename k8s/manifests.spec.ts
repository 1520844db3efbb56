/**
 * The Kubernetes manifests (k8s/): every overlay is rendered with `kubectl kustomize`, each object is
 * validated offline against the Kubernetes and KEDA schemas (kubernetes-models), and the invariants of
 * the deployment are checked one test each: probes, resources, security context, grace periods, PDBs,
 * autoscaling, the migration Job, Secrets, NetworkPolicies, and which datastores each overlay runs.
 * kubectl must be installed (CI has it): without it these tests fail, they do not skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Model } from '@kubernetes-models/base';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';

const ROOT = path.resolve(import.meta.dirname, '..');
const OVERLAYS = ['dev', 'prod', 'prod-bank-pools'] as const;
type Overlay = (typeof OVERLAYS)[number];

/** The apps of apps/ that run as Deployments, and the ones only development runs. */
const APPS = ['gateway', 'consent-service', 'connector-service', 'sync-worker', 'webhook-dispatcher'];
const DEV_ONLY_APPS = ['sandbox-bank'];
const DATASTORES = ['postgres', 'redis', 'nats'];
/** The apps that call out of the cluster: the banks, and tenants' webhook endpoints. */
const INTERNET_EGRESS = ['connector-service', 'webhook-dispatcher'];
/** The Secrets production expects the operator to create (k8s/README.md). */
const OPERATOR_SECRETS = ['ais-secrets', 'ais-datastores', 'ais-tpp-identity'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  data?: Record<string, string>;
  [key: string]: unknown;
}
type LabelSelector = NonNullable<INetworkPolicy['spec']>['podSelector'];

interface Workload {
  kind: 'Deployment' | 'StatefulSet' | 'Job';
  name: string;
  /** app.kubernetes.io/name of its pods (a connector pool's pods say connector-service). */
  app: string;
  podLabels: Record<string, string>;
  pod: IPodSpec;
  object: K8sObject;
}

// ---------------------------------------------------------------------------------------------------
// Rendering and schema validation

function render(overlay: Overlay): K8sObject[] {
  const dir = path.join(ROOT, 'k8s/overlays', overlay);
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  if (result.error) {
    throw new Error(
      `cannot run kubectl (${result.error.message}): these tests need kubectl with its built-in kustomize ` +
        '(https://kubernetes.io/docs/tasks/tools/); CI has it',
    );
  }
  if (result.status !== 0) throw new Error(`kubectl kustomize k8s/overlays/${overlay} failed:\n${result.stderr}`);
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(result.stdout)) {
    if (doc.errors.length > 0) throw new Error(`unparsable YAML from ${overlay}: ${doc.errors[0].message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

type ModelClass = (new (data: never) => Model<unknown>) & { apiVersion: string; kind: string };
const MODELS = new Map<string, ModelClass>();
for (const module of [coreV1, appsV1, batchV1, policyV1, autoscalingV2, networkingV1, keda]) {
  for (const value of Object.values(module) as unknown[]) {
    const candidate = value as Partial<ModelClass>;
    if (typeof value === 'function' && typeof candidate.apiVersion === 'string' && typeof candidate.kind === 'string')
      MODELS.set(`${candidate.apiVersion}/${candidate.kind}`, value as ModelClass);
  }
}

/** Schema problems of one object, or the reason it cannot be checked. */
function schemaProblems(object: K8sObject): string | undefined {
  const Model = MODELS.get(`${object.apiVersion}/${object.kind}`);
  if (!Model) return `no schema for ${object.apiVersion} ${object.kind}`;
  // kustomize folds long base64 values of Secrets over lines; the API server's decoder skips the newlines.
  const data = object.kind === 'Secret' && object.data;
  const unfolded = data
    ? { ...object, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replace(/\s+/g, '')])) }
    : object;
  try {
    new Model(unfolded as never).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

// ---------------------------------------------------------------------------------------------------
// Helpers over the rendered objects

const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
const ofKind = <T = K8sObject>(objects: K8sObject[], kind: string) =>
  objects.filter((o) => o.kind === kind) as unknown as (T & K8sObject)[];

function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'Job')
    .map((o) => {
      const template = (o.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: IPodSpec } })
        .template;
      const podLabels = template.metadata?.labels ?? {};
      return {
        kind: o.kind as Workload['kind'],
        name: o.metadata.name,
        app: podLabels['app.kubernetes.io/name'] ?? o.metadata.name,
        podLabels,
        pod: template.spec,
        object: o,
      };
    });
}

const containersOf = (w: Workload): IContainer[] => [...(w.pod.initContainers ?? []), ...w.pod.containers];
const imageName = (image = '') => image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
const isOurs = (w: Workload) => w.pod.containers.some((c) => imageName(c.image).endsWith('ais-gateway'));
const longRunning = (w: Workload) => w.kind !== 'Job';
const appWorkloads = (objects: K8sObject[]) =>
  workloads(objects).filter((w) => w.kind === 'Deployment' && isOurs(w) && [...APPS, ...DEV_ONLY_APPS].includes(w.app));

function matches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const has = expression.key in labels;
    const value = labels[expression.key];
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        if (!has || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function env(container: IContainer, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 's' ? 1000 : 1);
}

/** Seconds a container's preStop hook sleeps before SIGTERM (`sleep N`), else 0. */
function preStopSeconds(container: IContainer): number {
  const hook = container.lifecycle?.preStop;
  const command = hook?.exec?.command ?? [];
  if (command[0] === 'sleep') return Number(command[1]);
  return hook?.sleep?.seconds ?? 0;
}

// NetworkPolicy reasoning, for pods of this namespace.
const policies = (objects: K8sObject[]) => ofKind<INetworkPolicy>(objects, 'NetworkPolicy');
const selects = (policy: INetworkPolicy, labels: Record<string, string>, type: 'Ingress' | 'Egress') =>
  (policy.spec?.policyTypes ?? []).includes(type) && matches(policy.spec?.podSelector ?? {}, labels);

function ipv4(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}
const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16'];
function insideV4(cidr: string, range: string): boolean {
  const [a, aBits] = cidr.split('/');
  const [b, bBits] = range.split('/');
  if (Number(aBits) < Number(bBits)) return false;
  const mask = Number(bBits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(bBits));
  return (ipv4(a) & mask) >>> 0 === (ipv4(b) & mask) >>> 0;
}
/** Whether an ipBlock reaches public addresses (any part of it outside the private ranges). */
function isPublic(cidr: string): boolean {
  if (cidr.includes(':')) return !/^(fc|fd|fe8|fe9|fea|feb)/i.test(cidr) && cidr !== '::1/128';
  return !PRIVATE_V4.some((range) => insideV4(cidr, range));
}
const dnsOnly = (ports: INetworkPolicyPort[] | undefined) =>
  (ports ?? []).length > 0 && (ports ?? []).every((p) => p.port === 53);

/** The egress rules of a pod that reach the internet, described. */
function internetEgress(objects: K8sObject[], labels: Record<string, string>): string[] {
  const found: string[] = [];
  for (const policy of policies(objects).filter((p) => selects(p, labels, 'Egress'))) {
    for (const rule of policy.spec?.egress ?? []) {
      if (dnsOnly(rule.ports)) continue;
      if (!rule.to || rule.to.length === 0) found.push(`${policy.metadata?.name}: any destination`);
      for (const peer of rule.to ?? [])
        if (peer.ipBlock && isPublic(peer.ipBlock.cidr)) found.push(`${policy.metadata?.name}: ${peer.ipBlock.cidr}`);
    }
  }
  return found;
}

/** Whether `peer` (in a policy of this namespace) admits pods with `labels` of this namespace. */
function peerAdmits(peer: INetworkPolicyPeer, labels: Record<string, string>): boolean {
  if (peer.ipBlock || peer.namespaceSelector) return false;
  return matches(peer.podSelector ?? {}, labels);
}

// ---------------------------------------------------------------------------------------------------

const rendered = new Map<Overlay, K8sObject[]>();
const objectsOf = (overlay: Overlay): K8sObject[] => {
  const objects = rendered.get(overlay);
  if (!objects) throw new Error(`k8s/overlays/${overlay} did not render (see the first failure)`);
  return objects;
};

describe.each(OVERLAYS)('k8s/overlays/%s', (overlay) => {
  beforeAll(() => {
    rendered.set(overlay, render(overlay));
  });

  it('renders with kubectl kustomize', () => {
    expect(objectsOf(overlay).length).toBeGreaterThan(0);
  });

  it('validates every object against the Kubernetes and KEDA schemas', () => {
    const problems = objectsOf(overlay)
      .map((o) => [id(o), schemaProblems(o)])
      .filter(([, problem]) => problem !== undefined);
    expect(problems).toEqual([]);
  });

  it('puts everything in one namespace, with the restricted Pod Security Standard', () => {
    const objects = objectsOf(overlay);
    const namespaces = ofKind(objects, 'Namespace');
    expect(namespaces).toHaveLength(1);
    expect(namespaces[0].metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const elsewhere = objects
      .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== namespaces[0].metadata.name)
      .map(id);
    expect(elsewhere).toEqual([]);
  });

  it('runs every app with startup, readiness and liveness probes; liveness never waits on dependencies', () => {
    const problems: string[] = [];
    for (const w of workloads(objectsOf(overlay)).filter(longRunning)) {
      for (const c of w.pod.containers) {
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const)
          if (!c[probe]) problems.push(`${w.kind}/${w.name} ${c.name}: no ${probe}`);
        const live = JSON.stringify(c.livenessProbe ?? {});
        if (live.includes('/health/ready')) problems.push(`${w.kind}/${w.name} ${c.name}: liveness on /health/ready`);
        // Our apps answer the kubelet over HTTP on their health listener (HEALTH_HOST=0.0.0.0 in ais-config).
        const app = (c.command ?? []).join(' ').match(/dist\/apps\/([a-z-]+)\//)?.[1];
        if (app && app !== 'sandbox-bank')
          for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const)
            if (!c[probe]?.httpGet?.path?.startsWith('/health/'))
              problems.push(`${w.kind}/${w.name} ${c.name}: ${probe} is not an httpGet on /health/…`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every container of every Deployment/StatefulSet/Job CPU and memory requests and limits', () => {
    const problems: string[] = [];
    for (const w of workloads(objectsOf(overlay)))
      for (const c of containersOf(w))
        for (const kind of ['requests', 'limits'] as const)
          for (const resource of ['cpu', 'memory'])
            if (c.resources?.[kind]?.[resource] === undefined)
              problems.push(`${w.kind}/${w.name} ${c.name}: no ${kind}.${resource}`);
    expect(problems).toEqual([]);
  });

  it('runs every pod non-root, read-only, without privilege escalation or capabilities, seccomp RuntimeDefault', () => {
    const problems: string[] = [];
    for (const w of workloads(objectsOf(overlay))) {
      const pod = w.pod.securityContext ?? {};
      const where = `${w.kind}/${w.name}`;
      if (w.pod.automountServiceAccountToken !== false) problems.push(`${where}: mounts a service account token`);
      for (const c of containersOf(w)) {
        const sc = c.securityContext ?? {};
        const at = `${where} ${c.name}`;
        if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${at}: runAsNonRoot is not true`);
        const uid = sc.runAsUser ?? pod.runAsUser;
        if (uid === undefined || uid === 0) problems.push(`${at}: no numeric non-root runAsUser (${uid})`);
        if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem is writable`);
        if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
        if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: capabilities not dropped (ALL)`);
        if (sc.privileged) problems.push(`${at}: privileged`);
        if ((sc.seccompProfile ?? pod.seccompProfile)?.type !== 'RuntimeDefault')
          problems.push(`${at}: seccomp profile is not RuntimeDefault`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("gives every pod a terminationGracePeriodSeconds above its app's own shutdown timeout", () => {
    const problems: string[] = [];
    for (const w of workloads(objectsOf(overlay))) {
      const grace = w.pod.terminationGracePeriodSeconds;
      if (grace === undefined) {
        problems.push(`${w.kind}/${w.name}: no terminationGracePeriodSeconds`);
        continue;
      }
      if (!isOurs(w) || !longRunning(w)) continue;
      for (const c of w.pod.containers) {
        const shutdown = env(c, 'SHUTDOWN_TIMEOUT_MS');
        if (shutdown === undefined) {
          problems.push(`${w.kind}/${w.name} ${c.name}: SHUTDOWN_TIMEOUT_MS not set (the grace period follows it)`);
          continue;
        }
        // webhook-dispatcher/src/main.ts: max(SHUTDOWN_TIMEOUT_MS, WEBHOOK_TIMEOUT + 5 s).
        const webhookTimeout = env(c, 'WEBHOOK_TIMEOUT');
        if (w.app === 'webhook-dispatcher' && webhookTimeout === undefined)
          problems.push(`${w.kind}/${w.name}: WEBHOOK_TIMEOUT not set (its drain time follows it)`);
        const drainMs =
          w.app === 'webhook-dispatcher'
            ? Math.max(Number(shutdown), durationMs(webhookTimeout ?? '15s') + 5_000)
            : Number(shutdown);
        const needed = preStopSeconds(c) + drainMs / 1000;
        if (!(grace > needed))
          problems.push(`${w.kind}/${w.name}: grace ${grace} s is not above preStop + shutdown = ${needed} s`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs every app from the one image, tagged, with the command docker-compose.yml uses', () => {
    const problems: string[] = [];
    const images = new Set<string>();
    for (const w of workloads(objectsOf(overlay))) {
      for (const c of containersOf(w)) {
        const image = c.image ?? '';
        if (!/:[^/:]+$/.test(image.replace(/@.*$/, '')) || image.endsWith(':latest'))
          problems.push(`${w.kind}/${w.name} ${c.name}: image ${image} has no fixed tag`);
      }
      if (!isOurs(w)) continue;
      for (const c of w.pod.containers) images.add(c.image ?? '');
      if (w.kind !== 'Deployment') continue;
      const main = `dist/apps/${w.app}/src/main.js`;
      if (JSON.stringify(w.pod.containers[0].command) !== JSON.stringify(['node', main]))
        problems.push(`${w.kind}/${w.name}: command is not node ${main}`);
      if (!existsSync(path.join(ROOT, `apps/${w.app}/src/main.ts`))) problems.push(`${w.name}: no apps/${w.app}`);
    }
    expect(problems).toEqual([]);
    expect([...images]).toHaveLength(1);
  });

  it('selects each app Deployment with a PodDisruptionBudget of its own', () => {
    const objects = objectsOf(overlay);
    const pdbs = ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
    const all = workloads(objects);
    const problems: string[] = [];
    for (const w of appWorkloads(objects)) {
      const mine = pdbs.filter((p) => matches(p.spec?.selector, w.podLabels));
      if (mine.length !== 1) problems.push(`Deployment/${w.name}: ${mine.length} PodDisruptionBudgets`);
      for (const pdb of mine) {
        const others = all
          .filter((o) => o.name !== w.name && matches(pdb.spec?.selector, o.podLabels))
          .map((o) => o.name);
        if (others.length > 0)
          problems.push(`PodDisruptionBudget/${pdb.metadata.name} also selects ${others.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no two workloads whose pods the same Deployment selector picks', () => {
    const all = workloads(objectsOf(overlay));
    const overlaps: string[] = [];
    for (const w of all) {
      const selector = (w.object.spec as { selector?: LabelSelector }).selector;
      if (!selector) continue;
      for (const other of all)
        if (other !== w && matches(selector, other.podLabels)) overlaps.push(`${w.name} selects ${other.name}'s pods`);
    }
    expect(overlaps).toEqual([]);
  });

  it('points every Service at pods of a workload and at a named container port', () => {
    const objects = objectsOf(overlay);
    const problems: string[] = [];
    for (const service of ofKind<coreV1.IService>(objects, 'Service')) {
      const targets = workloads(objects).filter((w) => matches({ matchLabels: service.spec?.selector }, w.podLabels));
      if (targets.length === 0) problems.push(`Service/${service.metadata.name}: selects no pods`);
      for (const port of service.spec?.ports ?? [])
        for (const w of targets)
          if (
            typeof port.targetPort === 'string' &&
            !w.pod.containers.some((c) => (c.ports ?? []).some((p) => p.name === port.targetPort))
          )
            problems.push(`Service/${service.metadata.name}: ${w.name} has no port named ${port.targetPort}`);
    }
    expect(problems).toEqual([]);
  });

  it('scales the gateway with a CPU HorizontalPodAutoscaler (and leaves it its replica count)', () => {
    const objects = objectsOf(overlay);
    const hpa = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
      (h) => h.spec?.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === 'gateway',
    );
    expect(hpa).toBeDefined();
    expect(hpa?.spec?.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')).toBe(true);
    expect(hpa?.spec?.minReplicas).toBeGreaterThanOrEqual(1);
    const gateway = workloads(objects).find((w) => w.kind === 'Deployment' && w.name === 'gateway');
    expect((gateway?.object.spec as { replicas?: number }).replicas).toBeUndefined();
  });

  it.each(['sync-worker', 'webhook-dispatcher'])(
    'scales %s with a KEDA ScaledObject on a Prometheus query (at least one replica)',
    (app) => {
      const objects = objectsOf(overlay);
      const scaled = ofKind<IScaledObject>(objects, 'ScaledObject').filter((s) => s.spec.scaleTargetRef.name === app);
      expect(scaled).toHaveLength(1);
      const [so] = scaled;
      expect(so.spec.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
      expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      const prometheus = so.spec.triggers.filter((t) => t.type === 'prometheus');
      expect(prometheus).not.toHaveLength(0);
      for (const t of prometheus) {
        expect(t.metadata.serverAddress).toMatch(/^https?:\/\//);
        expect(t.metadata.query).toBeTruthy();
        expect(Number(t.metadata.threshold)).toBeGreaterThan(0);
      }
      const deployment = workloads(objects).find((w) => w.kind === 'Deployment' && w.name === app);
      expect(deployment).toBeDefined();
      expect((deployment?.object.spec as { replicas?: number }).replicas).toBeUndefined();
    },
  );

  it("migrates the database with a Job running the project's own migrate command", () => {
    const objects = objectsOf(overlay);
    const script = (
      JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts['db:migrate'];
    const migrateFile = /(\S+\/migrate\.mjs)/.exec(script)?.[1];
    expect(migrateFile).toBeDefined();
    const jobs = workloads(objects).filter(
      (w) => w.kind === 'Job' && w.pod.containers.some((c) => (c.command ?? []).includes(migrateFile!)),
    );
    expect(jobs.map((j) => j.name)).toEqual(['db-migrate']);
    const [container] = jobs[0].pod.containers;
    expect(container.command?.[0]).toBe('node');
    expect(container.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef?.name).toMatch(
      /^ais-datastores/,
    );
    expect(jobs[0].pod.restartPolicy).toBe('Never');
  });

  it('gives every app DATABASE_URL, REDIS_URL and NATS_URL, and its secrets from Secrets', () => {
    const objects = objectsOf(overlay);
    const problems: string[] = [];
    for (const w of appWorkloads(objects).filter((a) => APPS.includes(a.app))) {
      const [c] = w.pod.containers;
      const datastores = (c.envFrom ?? []).find((e) => (e.secretRef?.name ?? '').startsWith('ais-datastores'));
      if (!datastores) problems.push(`${w.name}: no envFrom Secret ais-datastores (DATABASE_URL, REDIS_URL, NATS_URL)`);
      const fromSecret = (name: string) => c.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name ?? '';
      if (!fromSecret('ENCRYPTION_KEYS').startsWith('ais-secrets')) problems.push(`${w.name}: ENCRYPTION_KEYS`);
      const admin = fromSecret('ADMIN_TOKEN');
      if (w.app === 'gateway' ? !admin.startsWith('ais-secrets') : admin !== '')
        problems.push(`${w.name}: ADMIN_TOKEN ${w.app === 'gateway' ? 'missing' : 'given to an app that needs none'}`);
      for (const e of c.env ?? [])
        if (/TOKEN|KEYS|PASSWORD|SECRET/.test(e.name) && e.value !== undefined)
          problems.push(`${w.name}: ${e.name} given as a literal`);
    }
    for (const secret of ofKind(objects, 'Secret')) {
      if (!secret.metadata.name.startsWith('ais-datastores')) continue;
      for (const key of ['DATABASE_URL', 'REDIS_URL', 'NATS_URL'])
        if (!secret.data?.[key]) problems.push(`Secret/${secret.metadata.name}: no ${key}`);
    }
    expect(problems).toEqual([]);
  });

  it('resolves every ConfigMap and Secret reference (prod: only the operator-created Secrets)', () => {
    const objects = objectsOf(overlay);
    const names = (kind: string) => new Set(ofKind(objects, kind).map((o) => o.metadata.name));
    const configMaps = names('ConfigMap');
    const secrets = names('Secret');
    const problems: string[] = [];
    for (const w of workloads(objects)) {
      const refs = JSON.stringify(w.pod);
      for (const [, kind, name] of refs.matchAll(
        /"(configMapRef|configMapKeyRef|secretRef|secretKeyRef)":\{[^}]*?"name":"([^"]+)"/g,
      ))
        if (
          kind.startsWith('configMap') ? !configMaps.has(name) : !secrets.has(name) && !OPERATOR_SECRETS.includes(name)
        )
          problems.push(`${w.kind}/${w.name}: ${kind} ${name} does not exist`);
      for (const volume of w.pod.volumes ?? [])
        if (
          volume.secret &&
          !secrets.has(volume.secret.secretName ?? '') &&
          !OPERATOR_SECRETS.includes(volume.secret.secretName ?? '')
        )
          problems.push(`${w.kind}/${w.name}: Secret volume ${volume.secret.secretName} does not exist`);
    }
    expect(problems).toEqual([]);
  });

  it('keeps no secret in a production overlay, and generates the dev Secrets', () => {
    const secrets = ofKind(objectsOf(overlay), 'Secret').map((s) => s.metadata.name.replace(/-[a-z0-9]{10}$/, ''));
    if (overlay === 'dev') expect(secrets.sort()).toEqual(['ais-datastores', 'ais-secrets', 'postgres-credentials']);
    else expect(secrets).toEqual([]);
  });

  it('mounts the TPP identity files into every connector-service in production', () => {
    const connectors = appWorkloads(objectsOf(overlay)).filter((w) => w.app === 'connector-service');
    expect(connectors.length).toBeGreaterThan(0);
    for (const w of connectors) {
      const [c] = w.pod.containers;
      const files = [
        'TPP_SIGNING_KEY_FILE',
        'TPP_SOFTWARE_STATEMENT_FILE',
        'TPP_TRANSPORT_CERT_FILE',
        'TPP_TRANSPORT_KEY_FILE',
      ];
      const volume = w.pod.volumes?.find((v) => v.secret?.secretName === 'ais-tpp-identity');
      if (overlay === 'dev') {
        // The sandbox directory issues the identity in development.
        expect(files.filter((f) => env(c, f) !== undefined)).toEqual([]);
        continue;
      }
      expect(volume).toBeDefined();
      const mount = c.volumeMounts?.find((m) => m.name === volume?.name);
      expect(mount?.readOnly).toBe(true);
      for (const f of files) expect(env(c, f)?.startsWith(`${mount?.mountPath}/`)).toBe(true);
      expect(c.env?.find((e) => e.name === 'TPP_SIGNING_KID')?.valueFrom?.secretKeyRef?.name).toBe('ais-tpp-identity');
    }
  });

  it('denies all traffic by default and lets every pod resolve names (DNS)', () => {
    const objects = objectsOf(overlay);
    const denyAll = policies(objects).filter(
      (p) =>
        Object.keys(p.spec?.podSelector ?? {}).length === 0 &&
        (['Ingress', 'Egress'] as const).every((t) => p.spec?.policyTypes?.includes(t)) &&
        !p.spec?.ingress?.length &&
        !p.spec?.egress?.length,
    );
    expect(denyAll).toHaveLength(1);
    const withoutDns = workloads(objects)
      .filter(
        (w) =>
          !policies(objects).some(
            (p) =>
              selects(p, w.podLabels, 'Egress') &&
              (p.spec?.egress ?? []).some(
                (rule) =>
                  (rule.ports ?? []).some((port) => port.port === 53 && port.protocol === 'UDP') &&
                  (rule.to ?? []).some(
                    (peer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system',
                  ),
              ),
          ),
      )
      .map((w) => w.name);
    expect(withoutDns).toEqual([]);
  });

  it('lets only the connector-service (banks) and webhook-dispatcher (public webhook endpoints) reach the internet', () => {
    const objects = objectsOf(overlay);
    const reach = Object.fromEntries(
      workloads(objects)
        .map((w) => [w.name, internetEgress(objects, w.podLabels)] as const)
        .filter(([, rules]) => rules.length > 0),
    );
    const expected = workloads(objects)
      .filter((w) => INTERNET_EGRESS.includes(w.app))
      .map((w) => w.name)
      .sort();
    expect(Object.keys(reach).sort()).toEqual(expected);
    // The webhook-dispatcher: public addresses only (its SSRF guard says the same).
    const dispatcher = workloads(objects).find((w) => w.app === 'webhook-dispatcher')!;
    for (const policy of policies(objects).filter((p) => selects(p, dispatcher.podLabels, 'Egress')))
      for (const rule of policy.spec?.egress ?? [])
        for (const peer of rule.to ?? [])
          if (peer.ipBlock?.cidr === '0.0.0.0/0')
            expect(peer.ipBlock.except).toEqual(
              expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
            );
  });

  it('admits the gateway from the Ingress controller only, and exposes it through an Ingress', () => {
    const objects = objectsOf(overlay);
    const gateway = appWorkloads(objects).find((w) => w.app === 'gateway')!;
    const ingress = ofKind<networkingV1.IIngress>(objects, 'Ingress');
    expect(ingress.map((i) => i.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name)).toEqual(['gateway']);
    const sources = policies(objects)
      .filter((p) => selects(p, gateway.podLabels, 'Ingress'))
      .flatMap((p) => (p.spec?.ingress ?? []).filter((r) => (r.ports ?? []).some((port) => port.port === 3000)))
      .flatMap((r) => r.from ?? [{}]);
    expect(sources.every((peer) => peer.namespaceSelector !== undefined)).toBe(true);
  });

  if (overlay === 'dev') {
    it('runs PostgreSQL, Redis and NATS in the cluster, one replica each', () => {
      const objects = objectsOf(overlay);
      for (const name of DATASTORES) {
        const w = workloads(objects).find((x) => x.app === name);
        expect(w).toBeDefined();
        expect((w?.object.spec as { replicas?: number }).replicas).toBe(1);
      }
      const sandbox = appWorkloads(objects).find((w) => w.app === 'sandbox-bank');
      expect(sandbox).toBeDefined();
    });

    it('gives the apps nats://nats:4222 as NATS_URL', () => {
      const secret = ofKind(objectsOf(overlay), 'Secret').find((s) => s.metadata.name.startsWith('ais-datastores'));
      expect(Buffer.from(secret?.data?.NATS_URL ?? '', 'base64').toString()).toBe('nats://nats:4222');
    });

    it('lets only the apps, the sandbox banks and the migration Job reach PostgreSQL', () => {
      const objects = objectsOf(overlay);
      const postgres = workloads(objects).find((w) => w.app === 'postgres')!;
      const rules = policies(objects)
        .filter((p) => selects(p, postgres.podLabels, 'Ingress'))
        .flatMap((p) => p.spec?.ingress ?? []);
      expect(rules.every((r) => (r.from ?? []).length > 0)).toBe(true);
      const admitted = workloads(objects)
        .filter((w) => rules.some((r) => (r.from ?? []).some((peer) => peerAdmits(peer, w.podLabels))))
        .map((w) => w.name)
        .sort();
      expect(admitted).toEqual([...APPS, ...DEV_ONLY_APPS, 'db-migrate'].sort());
      const outside = rules.flatMap((r) => r.from ?? []).filter((peer) => peer.ipBlock || peer.namespaceSelector);
      expect(outside).toEqual([]);
    });
  } else {
    it('runs no PostgreSQL, Redis, NATS or sandbox bank: those are external', () => {
      const inCluster = workloads(objectsOf(overlay))
        .filter(
          (w) =>
            [...DATASTORES, ...DEV_ONLY_APPS].includes(w.app) ||
            w.pod.containers.some((c) => /(^|\/)(postgres|redis|nats)(:|$)/.test(c.image ?? '')),
        )
        .map((w) => w.name);
      expect(inCluster).toEqual([]);
    });
  }

  if (overlay === 'prod-bank-pools') {
    it('splits the banks between connector-service pools, each bank served by exactly one pool', () => {
      const pools = appWorkloads(objectsOf(overlay)).filter((w) => w.app === 'connector-service');
      const providers = Object.fromEntries(
        pools.map((w) => [w.name, env(w.pod.containers[0], 'CONNECTOR_PROVIDERS')?.split(',') ?? []]),
      );
      expect(providers).toEqual({
        'connector-service': ['alsalam', 'saltbank'],
        'connector-service-allstar': ['allstar'],
      });
      const pool = (w: Workload) => w.podLabels['ais-gateway/connector-pool'];
      expect(pools.map(pool).sort()).toEqual(['allstar', 'default']);
    });
  }
});

describe('the overlays against each other', () => {
  it('prod-bank-pools is prod plus the Allstar pool (its Deployment, Service and PodDisruptionBudget)', () => {
    const names = (overlay: Overlay) => new Set((rendered.get(overlay) ?? render(overlay)).map(id));
    const prod = names('prod');
    const pools = names('prod-bank-pools');
    expect([...pools].filter((n) => !prod.has(n)).sort()).toEqual([
      'Deployment/connector-service-allstar',
      'PodDisruptionBudget/connector-service-allstar',
      'Service/connector-service-allstar',
    ]);
    expect([...prod].filter((n) => !pools.has(n))).toEqual([]);
  });
});
