import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig, requireAll, type Config, type Env } from '../../../src/config/config.ts';
import { newSourceSecretsJson } from '../../../src/gateway/secrets.ts';
import { createGatewayMetrics, createIngestMetrics, createOrderMetrics, createTaskQueueMetrics, createWorkerMetrics } from '../../../src/observability/metrics.ts';
import { sloRulesYaml } from '../../../src/observability/slo-rules.ts';
import { strimziKafkaTopics, strimziKafkaUsers, strimziTopicsYaml, strimziUsersYaml } from '../../../src/service/strimzi-resources.ts';
import { gatewayNeeds } from '../../../src/service/gateway-needs.ts';
import { ingestNeeds } from '../../../src/service/ingest-needs.ts';
import { parseWorkerGroups, WORKER_GROUPS, workerNeeds } from '../../../src/service/worker-groups.ts';
import { payloadEncryption } from '../../../src/temporal/factory.ts';
import { newKeyRingJson } from '../../../src/temporal/key-ring.ts';

/**
 * The Kubernetes manifests (deploy/), with no cluster: each overlay renders with `kubectl kustomize`,
 * every object validates against its schema (Kubernetes, KEDA, prometheus-operator), each Deployment's
 * environment passes the service's own config checks for its role, and the autoscalers watch the
 * queues and the consumer group the roles really use.
 */
const root = path.resolve(import.meta.dirname, '../../..');
type Labels = Record<string, string>;
interface Container {
  args: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  livenessProbe: { httpGet: object };
  readinessProbe: { httpGet: object };
  securityContext: object;
  resources: { requests: Labels; limits: Labels };
}
/** The parts of the rendered objects the checks read; the schemas validate the rest. */
interface Spec {
  replicas?: number;
  template: { metadata: { labels: Labels }; spec: { containers: Container[]; volumes?: { name: string; secret?: object }[]; terminationGracePeriodSeconds: number; securityContext: object } };
  selector: { matchLabels: Labels };
  podSelector: { matchLabels: Labels };
  ingress: { ports: { port: number }[] }[];
  scaleTargetRef: { name: string };
  minReplicaCount: number;
  maxReplicaCount: number;
  triggers: { type: string; metadata: Labels }[];
  groups: { rules: { alert?: string; record?: string; expr: string; labels?: Labels; annotations?: Labels }[] }[];
}
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Labels }; spec: Spec; data?: Record<string, string> };

async function render(overlay: string): Promise<K8sObject[]> {
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', path.join(root, 'deploy/overlays', overlay)], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((document) => document.toJSON() as K8sObject);
}

const MODELS: Record<string, (object: K8sObject) => { validate(): void }> = {
  'v1/Namespace': (object) => new Namespace(object as never),
  'v1/ConfigMap': (object) => new ConfigMap(object),
  'v1/Service': (object) => new Service(object as never),
  'apps/v1/Deployment': (object) => new Deployment(object as never),
  'policy/v1/PodDisruptionBudget': (object) => new PodDisruptionBudget(object),
  'networking.k8s.io/v1/NetworkPolicy': (object) => new NetworkPolicy(object),
  'keda.sh/v1alpha1/ScaledObject': (object) => new ScaledObject(object),
  'keda.sh/v1alpha1/TriggerAuthentication': (object) => new TriggerAuthentication(object as never),
  // No Strimzi models on npm: each must be exactly what the access and topic plans generate.
  'kafka.strimzi.io/v1beta2/KafkaUser': (object) => ({ validate: () => expect(strip(object)).toEqual(generated(strimziKafkaUsers, object)) }),
  'kafka.strimzi.io/v1beta2/KafkaTopic': (object) => ({ validate: () => expect(strip(object)).toEqual(generated(strimziKafkaTopics, object)) }),
  'monitoring.coreos.com/v1/PrometheusRule': (object) => new PrometheusRule(object as never),
};

const strip = (object: K8sObject) => ({ ...object, metadata: { ...object.metadata, namespace: undefined } });
const generated = (plan: (config: Config) => object[], object: K8sObject) => {
  const found = (plan(loadConfig({})) as K8sObject[]).find((candidate) => candidate.metadata.name === object.metadata.name);
  return found ? { ...found, metadata: { ...found.metadata, namespace: undefined } } : `no generated ${object.kind} ${object.metadata.name}`;
};

/** Every metric name the roles register, to hold the alerts and the dashboard to. */
function registeredMetrics(): Set<string> {
  const registry = new Registry();
  createIngestMetrics(registry);
  createWorkerMetrics(registry);
  createTaskQueueMetrics(registry);
  createGatewayMetrics(registry);
  createOrderMetrics(registry, 3_600);
  return new Set(registry.getMetricsAsArray().map((metric) => metric.name));
}
const metricsIn = (expr: string) => [...expr.matchAll(/\boms_[a-z_]+/g)].map((match) => match[0].replace(/_(bucket|sum|count)$/, ''));

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);

describe.each(['local', 'production'])('deploy/overlays/%s', (overlay) => {
  test('renders, and every object validates against its schema', async () => {
    const objects = await render(overlay);
    expect(objects.length).toBeGreaterThan(30);
    for (const object of objects) {
      const model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(model, `a schema for ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => model!(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
    // And the validation can fail: a broken Deployment is refused.
    const deployment = objects.find((object) => object.kind === 'Deployment')!;
    expect(() => MODELS['apps/v1/Deployment']!({ ...deployment, spec: { ...deployment.spec, replicas: 'two' as unknown as number } }).validate()).toThrow();
  });

  test('each Deployment: its environment passes its role\'s config checks; probes, shutdown grace, security, resources, a PDB and the network policy', async () => {
    const objects = await render(overlay);
    const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === 'oms-config')!;
    const deployments = objects.filter((object) => object.kind === 'Deployment');
    expect(deployments.map((object) => object.metadata.name).sort()).toEqual(
      ['oms-codec-server', 'oms-gateway', 'oms-ingest', ...WORKER_GROUPS.map((group) => `oms-worker-${group}`)].sort(),
    );
    // Secret files the pods mount, written here with valid content at a path of our own.
    const dir = await mkdtemp(path.join(tmpdir(), 'oms-manifests-'));
    const fixtures: Record<string, string> = { 'keys.json': newKeyRingJson('k8s'), 'secrets.json': newSourceSecretsJson() };
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0]!;
      const mounts = container.volumeMounts ?? [];
      const secretVolumes = new Set((pod.volumes ?? []).filter((volume) => volume.secret).map((volume) => volume.name));
      const env: Record<string, string> = { ...configMap.data };
      for (const entry of container.env ?? []) env[entry.name] = entry.value ?? (entry.valueFrom?.secretKeyRef ? 'a-token-from-a-secret-0123456789' : '');
      for (const [variable, file] of Object.entries(env).filter(([name]) => name.endsWith('_FILE'))) {
        const mount = mounts.find((entry) => file.startsWith(`${entry.mountPath}/`));
        const name = deployment.metadata.name;
        if (variable === 'TEMPORAL_ENCRYPTION_KEYS_FILE' && name === 'oms-gateway') continue;
        expect(mount && secretVolumes.has(mount.name), `${name}: ${variable} is a file of a mounted Secret`).toBe(true);
        const local = path.join(dir, `${name}-${path.basename(file)}`);
        await writeFile(local, fixtures[path.basename(file)]!);
        env[variable] = local;
      }
      const config: Config = loadConfig(env);
      const [role, , groups] = container.args;
      const needs: [keyof Env, unknown][] =
        role === 'ingest' ? ingestNeeds(config)
        : role === 'worker' ? workerNeeds(config, parseWorkerGroups(groups))
        : role === 'gateway' ? gatewayNeeds(config)
        : [['CODEC_SERVER_TOKENS', config.codecServer.tokens], ['CODEC_SERVER_UI_ORIGINS', config.codecServer.uiOrigins]];
      expect(() => requireAll(needs), deployment.metadata.name).not.toThrow();
      if (role === 'gateway') {
        // Least privilege: no payload key ring, not even mounted.
        expect(mounts.some((entry) => entry.name === 'temporal-keys')).toBe(false);
      } else {
        expect(payloadEncryption(config)).not.toBe('off');
      }

      const probePort = container.ports.find((port) => port.name === 'probes')?.containerPort;
      expect(probePort).toBe(config.http.port);
      expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'probes' });
      expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'probes' });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(config.shutdownGraceMs / 1_000 + 2);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'memory']);
      const labels = deployment.spec.template.metadata.labels;
      expect(objects.filter((object) => object.kind === 'PodDisruptionBudget' && selects(object.spec.selector.matchLabels, labels)), `${deployment.metadata.name}: its PDB`).toHaveLength(1);
      const policies = objects.filter((object) => object.kind === 'NetworkPolicy' && selects(object.spec.podSelector.matchLabels, labels));
      expect(policies.flatMap((policy) => policy.spec.ingress.flatMap((rule) => rule.ports.map((port) => port.port)))).toContain(probePort);
    }
  });

  test('the autoscalers watch what the roles use: ingest\'s consumer group, each worker group\'s task queue; never below one replica', async () => {
    const objects = await render(overlay);
    const config = loadConfig(objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === 'oms-config')!.data);
    const deployments = new Map(objects.filter((object) => object.kind === 'Deployment').map((object) => [object.metadata.name, object]));
    const scaled = objects.filter((object) => object.kind === 'ScaledObject');
    expect(scaled).toHaveLength(1 + WORKER_GROUPS.length);
    for (const object of scaled) {
      const target = deployments.get(object.spec.scaleTargetRef.name);
      expect(target, `${object.metadata.name} scales an existing Deployment`).toBeDefined();
      expect(object.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      const trigger = object.spec.triggers[0];
      const [role, , group] = target!.spec.template.spec.containers[0]!.args;
      if (role === 'ingest') {
        expect(trigger).toMatchObject({ type: 'kafka', metadata: { consumerGroup: config.ingest.groupId, bootstrapServers: config.kafka.brokers!.join(',') } });
        // A replica beyond the partition count would hold no partition.
        expect(object.spec.maxReplicaCount).toBeLessThanOrEqual(config.topics.partitions);
      } else {
        expect(role).toBe('worker');
        const queue = group === 'workflows' ? config.taskQueues.orders : config.taskQueues.activities[group as Exclude<(typeof WORKER_GROUPS)[number], 'workflows'>];
        expect(trigger).toMatchObject({
          type: 'temporal',
          metadata: { taskQueue: queue, queueTypes: group === 'workflows' ? 'workflow' : 'activity', namespace: config.temporal.namespace, endpoint: config.temporal.address },
        });
      }
    }
  });

  test('the alert rules and the dashboard use metrics the roles export, and cover the five alerts and the four SLO burn-rate alerts', async () => {
    const objects = await render(overlay);
    const known = registeredMetrics();
    const rules = objects.filter((object) => object.kind === 'PrometheusRule').flatMap((object) => object.spec.groups.flatMap((group) => group.rules));
    expect(rules.map((rule) => rule.alert).filter(Boolean).sort()).toEqual([
      'OmsDeadLettersReceiving', 'OmsFulfillmentLatencyBudgetBurnFast', 'OmsFulfillmentLatencyBudgetBurnSlow', 'OmsIngestLagGrowing', 'OmsIngestStalled',
      'OmsOrderFailuresBudgetBurnFast', 'OmsOrderFailuresBudgetBurnSlow', 'OmsStorefrontLimiterSaturated', 'OmsTaskQueueOrphaned',
    ]);
    for (const rule of rules) for (const metric of metricsIn(rule.expr)) expect(known, `${rule.alert ?? rule.record}: ${metric}`).toContain(metric);
    // Each SLO alert says what to do.
    for (const rule of rules.filter((candidate) => candidate.labels?.slo)) expect(rule.annotations?.runbook, rule.alert).toMatch(/oms order/);
    const recorded = new Set(rules.map((rule) => rule.record).filter(Boolean));
    const dashboard = JSON.parse(objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === 'oms-grafana-dashboard')!.data!['dashboard.json']!) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
    expect(dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => panel.title)).toEqual(['Orders', 'Machinery']);
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    for (const expr of exprs) for (const series of expr.match(/\boms:[a-z_:0-9]+/g) ?? []) expect(recorded, series).toContain(series);
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    for (const expr of exprs) for (const metric of metricsIn(expr)) expect(known, metric).toContain(metric);
    expect(JSON.parse(await readFile(path.join(root, 'deploy/base/dashboard.json'), 'utf8'))).toEqual(dashboard);
  });

  test('deploy/base/slo-alerts.yaml is what `oms slo-rules` prints at the default SLO settings', async () => {
    expect(await readFile(path.join(root, 'deploy/base/slo-alerts.yaml'), 'utf8')).toBe(sloRulesYaml(loadConfig({}).slo));
  });

  test('the Strimzi component is what `oms acl plan` and `oms topics plan` print (--format strimzi), and wires each Kafka role to its own user', async () => {
    const component = path.join(root, 'deploy/components/strimzi');
    expect(await readFile(path.join(component, 'kafka-users.yaml'), 'utf8')).toBe(strimziUsersYaml(loadConfig({})));
    expect(await readFile(path.join(component, 'kafka-topics.yaml'), 'utf8')).toBe(strimziTopicsYaml(loadConfig({})));
    if (overlay !== 'production') return;
    const objects = await render(overlay);
    expect(objects.filter((object) => object.kind === 'KafkaUser').map((object) => object.metadata.name).sort()).toEqual(['oms-gateway', 'oms-ingest', 'oms-operator', 'oms-worker']);
    const users = Object.fromEntries(
      objects
        .filter((object) => object.kind === 'Deployment')
        .map((object) => [object.metadata.name, (object.spec.template.spec.containers[0]!.env ?? []).find((entry) => entry.name === 'KAFKA_SASL_USERNAME')?.value]),
    );
    expect(users).toMatchObject({ 'oms-ingest': 'oms-ingest', 'oms-gateway': 'oms-gateway', 'oms-worker-fulfillment': 'oms-worker', 'oms-worker-workflows': undefined });
  });
});
