import { restrictedViolations, podSpecOf } from "../policy/podSecurity";
import {
    asKubernetesObject,
    cnpgCrdSchema,
    compileSchema,
    plainSecretLeaks,
    ProgramRun,
    readReference,
    runProgram,
    SENTINEL,
    stackConfig,
    unwrapSecrets,
    validateKubernetesObject,
} from "./helpers";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";

const base = stackConfig("k8s");
const withBackups = {
    ...base,
    "actors:backupDestination": "s3://actors-backups/prod",
    "actors:backupAccessKeyId": `${SENTINEL}-access-key`,
    "actors:backupSecretAccessKey": `${SENTINEL}-secret-key`,
    "actors:imageRegistryUsername": "robot",
    "actors:imageRegistryPassword": `${SENTINEL}-registry-token`,
    "actors:ingressHost": "actors.example.com",
    "actors:ingressClassName": "traefik",
    "actors:tlsClusterIssuer": "letsencrypt-production",
    "actors:monitoring": "true",
    "actors:dbInstances": "3",
    "actors:dbStorageClass": "fast-ssd",
};
const secretKeys = ["actors:backupAccessKeyId", "actors:backupSecretAccessKey", "actors:imageRegistryPassword"];

let plain: ProgramRun;
let full: ProgramRun;
beforeAll(async () => {
    plain = await runProgram(base);
    full = await runProgram(withBackups, { secretKeys });
});

const kubeObjects = (run: ProgramRun) =>
    run.resources.map(asKubernetesObject).filter((o): o is Record<string, any> => !!o);
const container = (run: ProgramRun, type = DEPLOYMENT) => run.one(type).inputs.spec.template.spec.containers[0];
const release = (run: ProgramRun, chart: string) => run.byType(RELEASE).find((r) => r.inputs.chart === chart)!;

describe("resource graph", () => {
    it("declares what the Kubernetes stack needs, once each", () => {
        const kinds = kubeObjects(plain)
            .map((o) =>
                `${o.kind}/${o.metadata.name}`.replace(
                    /^Job\/actors-migrate-[0-9a-f]{12}$/,
                    "Job/actors-migrate-<tag>",
                ),
            )
            .sort();
        expect(kinds).toEqual(
            [
                "Deployment/actors-web",
                "Job/actors-migrate-<tag>",
                "HorizontalPodAutoscaler/actors-web",
                "Namespace/actors",
                "NetworkPolicy/actors-db-ingress",
                "NetworkPolicy/actors-web-ingress",
                "NetworkPolicy/default-deny-ingress",
                "PodDisruptionBudget/actors-web",
                "Secret/actors-db-app",
                "Service/actors-web",
                "ServiceAccount/actors",
            ].sort(),
        );
        expect(
            plain
                .byType(RELEASE)
                .map((r) => r.inputs.chart)
                .sort(),
        ).toEqual(["cloudnative-pg", "cluster"]);
        expect(plain.byType("kubernetes:networking.k8s.io/v1:Ingress")).toHaveLength(0);
    });

    it("exports the URL, the digest-pinned image and the namespace", () => {
        expect(plain.outputs.url.value).toBe("http://actors-web.actors.svc.cluster.local/");
        expect(plain.outputs.image.value).toMatch(/^localhost:5001\/actors@sha256:[0-9a-f]{64}$/);
        expect(plain.outputs.namespace.value).toBe("actors");
        expect(plain.outputs.appName).toBeUndefined();
    });

    it("skips the operator chart when the cluster already runs it", async () => {
        const run = await runProgram({
            ...base,
            "actors:installCnpgOperator": "false",
            "actors:cnpgOperatorNamespace": "operators",
        });
        expect(run.byType(RELEASE).map((r) => r.inputs.chart)).toEqual(["cluster"]);
        const policy = run.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "k8s-db-ingress").inputs.spec;
        expect(JSON.stringify(policy)).toContain('"kubernetes.io/metadata.name":"operators"');
    });
});

describe("schemas", () => {
    it.each([
        ["plain", () => plain],
        ["every option on", () => full],
    ])("every object validates against the Kubernetes schema (%s)", (_, run) => {
        const objects = kubeObjects(run());
        expect(objects.length).toBeGreaterThan(10);
        for (const obj of objects) expect(() => validateKubernetesObject(obj)).not.toThrow();
    });

    it.each([
        ["plain", () => plain],
        ["every option on", () => full],
    ])("every pod meets Pod Security Standards restricted (%s)", (_, run) => {
        const workloads = kubeObjects(run()).filter((o) => podSpecOf(o.kind, o.spec));
        expect(workloads.map((w) => w.kind).sort()).toEqual(["Deployment", "Job"]);
        for (const w of workloads) expect(restrictedViolations(podSpecOf(w.kind, w.spec))).toEqual([]);
    });

    it("the namespace enforces restricted", () => {
        expect(plain.one("kubernetes:core/v1:Namespace").inputs.metadata.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "restricted",
        });
    });

    it.each([
        ["plain", () => plain],
        ["every option on", () => full],
    ])("Helm values validate against the charts' schemas (%s)", (_, run) => {
        const clusterSchema = compileSchema(readReference("cnpg-cluster-chart-0.8.1.values.schema.json"));
        const operatorSchema = compileSchema(readReference("cnpg-operator-chart-0.29.0.values.schema.json"));
        expect(clusterSchema(release(run(), "cluster").inputs.values)).toEqual([]);
        expect(operatorSchema(release(run(), "cloudnative-pg").inputs.values)).toEqual([]);
    });

    it("values passed through to the Cluster resource validate against the CloudNativePG CRD", () => {
        const cluster = cnpgCrdSchema("Cluster").properties.spec.properties;
        const values = release(full, "cluster").inputs.values;
        expect(compileSchema(cluster.bootstrap.properties.initdb)(values.cluster.initdb)).toEqual([]);
        expect(compileSchema(cluster.resources)(values.cluster.resources)).toEqual([]);
        expect(compileSchema(cluster.storage)(values.cluster.storage)).toEqual([]);
        expect(compileSchema(cluster.instances)(values.cluster.instances)).toEqual([]);
        expect(compileSchema(cluster.backup.properties.retentionPolicy)(values.backups.retentionPolicy)).toEqual([]);
        const scheduled = cnpgCrdSchema("ScheduledBackup").properties.spec;
        const rendered = {
            schedule: values.backups.scheduledBackups[0].schedule,
            cluster: { name: "actors-db" },
            method: "barmanObjectStore",
            backupOwnerReference: "self",
        };
        expect(compileSchema(scheduled)(rendered)).toEqual([]);
    });
});

describe("database", () => {
    it("pins both charts and the CloudNativePG repository", () => {
        const versions = Object.fromEntries(plain.byType(RELEASE).map((r) => [r.inputs.chart, r.inputs.version]));
        expect(versions).toEqual({ "cloudnative-pg": "0.29.0", cluster: "0.8.1" });
        for (const r of plain.byType(RELEASE))
            expect(r.inputs.repositoryOpts.repo).toBe("https://cloudnative-pg.github.io/charts");
    });

    it("bootstraps the owner from the generated secret, which also carries the app's uri", () => {
        const values = release(plain, "cluster").inputs.values;
        expect(values.fullnameOverride).toBe("actors-db");
        expect(values.cluster.initdb).toEqual({ database: "app", owner: "app", secret: { name: "actors-db-app" } });
        const secret = asKubernetesObject(plain.one("kubernetes:core/v1:Secret"))!;
        expect(secret.type).toBe("kubernetes.io/basic-auth");
        expect(secret.stringData.username).toBe("app");
        expect(secret.stringData.password).toBe(`${SENTINEL}-password-k8s-db-owner-password`);
        expect(secret.stringData.uri).toBe(
            `postgresql://app:${SENTINEL}-password-k8s-db-owner-password@actors-db-rw.actors.svc:5432/app`,
        );
    });

    it("maps the storage, instance and monitoring settings", () => {
        const values = release(full, "cluster").inputs.values;
        expect(values.cluster.instances).toBe(3);
        expect(values.cluster.storage).toEqual({ size: "1Gi", storageClass: "fast-ssd" });
        expect(values.cluster.resources.requests).toEqual(values.cluster.resources.limits);
        expect(values.cluster.monitoring).toEqual({ enabled: true, podMonitor: { enabled: true } });
        expect(release(plain, "cluster").inputs.values.backups).toEqual({ enabled: false });
    });

    it("keeps backup credentials out of the chart values, in a Secret of the keys the chart reads", () => {
        const values = release(full, "cluster").inputs.values;
        expect(values.backups).toMatchObject({
            enabled: true,
            provider: "s3",
            destinationPath: "s3://actors-backups/prod",
            secret: { create: false, name: "actors-db-backup-s3" },
            s3: { region: "us-east-1" },
            retentionPolicy: "30d",
        });
        expect(JSON.stringify(values)).not.toContain(SENTINEL);
        const secret = full
            .byType("kubernetes:core/v1:Secret")
            .map(asKubernetesObject)
            .find((s) => s!.metadata.name === "actors-db-backup-s3")!;
        expect(Object.keys(secret.stringData).sort()).toEqual(["ACCESS_KEY_ID", "ACCESS_SECRET_KEY", "Region"]);
    });

    it("admits PostgreSQL connections only from the app and the cluster's own instances", () => {
        const spec = plain.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "k8s-db-ingress").inputs.spec;
        expect(spec.podSelector).toEqual({ matchLabels: { "cnpg.io/cluster": "actors-db" } });
        const postgres = spec.ingress.filter((rule: any) => rule.ports.some((p: any) => p.port === 5432));
        expect(postgres).toHaveLength(1);
        expect(postgres[0].from).toEqual([
            { podSelector: { matchLabels: { "app.kubernetes.io/name": "actors" } } },
            { podSelector: { matchLabels: { "cnpg.io/cluster": "actors-db" } } },
        ]);
        expect(JSON.stringify(spec)).not.toContain("9187");
        const monitored = full.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "k8s-db-ingress").inputs.spec;
        expect(monitored.ingress.find((r: any) => r.ports[0].port === 9187).from).toEqual([{ namespaceSelector: {} }]);
    });
});

describe("web workload", () => {
    it("runs the pinned image with the shared app contract", () => {
        const c = container(plain);
        expect(c.image).toBe(plain.outputs.image.value);
        expect(c.imagePullPolicy).toBe("IfNotPresent");
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        expect(env).toEqual({
            DATABASE_URL: { secretKeyRef: { name: "actors-db-app", key: "uri" } },
            PORT: "5000",
            WEB_CONCURRENCY: "2",
            LOG_LEVEL: "info",
            PGSSLMODE: "require",
        });
    });

    it("rolls out without losing capacity and leaves the replica count to the autoscaler", () => {
        const spec = plain.one(DEPLOYMENT).inputs.spec;
        expect(spec.replicas).toBeUndefined();
        expect(spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        const hpa = plain.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs.spec;
        expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([2, 6]);
        expect(hpa.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "actors-web" });
        expect(hpa.metrics[0].resource).toEqual({
            name: "cpu",
            target: { type: "Utilization", averageUtilization: 70 },
        });
        expect(plain.one("kubernetes:policy/v1:PodDisruptionBudget").inputs.spec.minAvailable).toBe(1);
    });

    it("probes the app's own endpoints and stops within the grace period", () => {
        const c = container(plain);
        expect(c.startupProbe.httpGet.path).toBe("/healthz");
        expect(c.readinessProbe.httpGet.path).toBe("/readyz");
        expect(c.livenessProbe.httpGet.path).toBe("/healthz");
        expect(c.ports).toEqual([{ name: "http", containerPort: 5000, protocol: "TCP" }]);
        expect(c.resources).toEqual({
            requests: { cpu: "100m", memory: "192Mi" },
            limits: { cpu: "1", memory: "256Mi" },
        });
        const pod = plain.one(DEPLOYMENT).inputs.spec.template.spec;
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(5 + 20);
        expect(plain.one("kubernetes:core/v1:ServiceAccount").inputs.automountServiceAccountToken).toBe(false);
    });

    it("migrates with the same image and the release-phase command before the Deployment serves", () => {
        const job = plain.one(JOB).inputs;
        const c = job.spec.template.spec.containers[0];
        expect(c.image).toBe(container(plain).image);
        expect(c.command).toEqual(["/app/bin/migrate", "--wait", "300"]);
        expect(job.spec.template.spec.restartPolicy).toBe("Never");
        expect(c.env).toEqual(container(plain).env);
    });

    it("exposes the app through an Ingress with a cert-manager certificate when a host is set", () => {
        const ingress = asKubernetesObject(full.one("kubernetes:networking.k8s.io/v1:Ingress"))!;
        expect(ingress.metadata.annotations).toEqual({ "cert-manager.io/cluster-issuer": "letsencrypt-production" });
        expect(ingress.spec.ingressClassName).toBe("traefik");
        expect(ingress.spec.tls).toEqual([{ hosts: ["actors.example.com"], secretName: "actors-web-tls" }]);
        expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({
            name: "actors-web",
            port: { name: "http" },
        });
        expect(full.outputs.url.value).toBe("https://actors.example.com/");
    });

    it("scrapes the app with a PodMonitor only when monitoring is on", () => {
        expect(plain.byType("kubernetes:monitoring.coreos.com/v1:PodMonitor")).toHaveLength(0);
        const monitor = full.one("kubernetes:monitoring.coreos.com/v1:PodMonitor").inputs.spec;
        expect(monitor.podMetricsEndpoints).toEqual([{ port: "http", path: "/metrics", interval: "30s" }]);
    });

    it("keeps a local image in the local engine and never pulls it", async () => {
        const run = await runProgram({ ...base, "actors:imageRepository": "", "actors:localImage": "true" });
        const image = run.one("docker:index/image:Image").inputs;
        expect(image.skipPush).toBe(true);
        expect(image.imageName).toMatch(/^actors:sha-[0-9a-f]{16}$/);
        expect(container(run).image).toBe(image.imageName);
        expect(container(run).imagePullPolicy).toBe("Never");
    });

    it("builds for linux/amd64 and pushes with the registry credentials as a secret", () => {
        const image = full.one("docker:index/image:Image").inputs;
        expect(image.build.platform).toBe("linux/amd64");
        expect(image.skipPush).toBe(false);
        expect(unwrapSecrets(image.registry)).toEqual({
            server: "localhost:5001",
            username: "robot",
            password: `${SENTINEL}-registry-token`,
        });
        expect(plainSecretLeaks(image, [SENTINEL])).toEqual([]);
    });
});

describe("secrets", () => {
    it.each([
        ["plain", () => plain],
        ["every option on", () => full],
    ])("no secret value appears unwrapped in any input or output (%s)", (_, run) => {
        const leaks = run().resources.flatMap((r) => plainSecretLeaks(r.inputs, [SENTINEL], `${r.type} ${r.name}`));
        expect(leaks).toEqual([]);
        for (const [name, out] of Object.entries(run().outputs))
            expect(`${name}=${JSON.stringify(out.value)}`).not.toContain(SENTINEL);
    });
});

describe("updating the app", () => {
    it("a new image changes the Deployment's image and the migration Job, and nothing else", async () => {
        const again = async (hash: string) => {
            jest.resetModules();
            jest.doMock("../components/contextHash", () => ({ contextHash: () => hash }));
            try {
                return await runProgram(base);
            } finally {
                jest.dontMock("../components/contextHash");
            }
        };
        const before = await again("a".repeat(64));
        const after = await again("b".repeat(64));
        const changed = before.resources
            .filter((r, i) => JSON.stringify(r.inputs) !== JSON.stringify(after.resources[i].inputs))
            .map((r) => r.type);
        expect(changed.sort()).toEqual(["docker:index/image:Image", DEPLOYMENT, JOB].sort());
        expect(container(after).image).not.toBe(container(before).image);
        expect(after.one(JOB).inputs.metadata.name).toBe("actors-migrate-bbbbbbbbbbbb");
    });
});
