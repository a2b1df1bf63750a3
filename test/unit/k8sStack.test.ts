import { restrictedViolations, podSpecOf } from "../../policy/podSecurity";
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
    objectStoreCrd,
    validateKubernetesObject,
} from "../support/helpers";
import { resourceOptions } from "../support/k8sSchemas";
import { MIGRATION, migrationAwaitSeconds, migrationDeadlineSeconds } from "../../components/k8s/migrationJob";
import { dockerConfigServer } from "../../components/k8s/web";
import { bootstrapIdentity, clusterReleaseOptions } from "../../components/k8s/database";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";
const OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore";
const SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup";
const SECRET = "kubernetes:core/v1:Secret";

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

    it("exports for move-data the names the program gave the database and the web Deployment", () => {
        const deployment = plain.byType("kubernetes:apps/v1:Deployment")[0].inputs.metadata.name;
        const secret = plain.byType("kubernetes:core/v1:Secret").find((r) => /-app$/.test(r.inputs.metadata.name));
        expect(plain.outputs.tools.value).toEqual({
            platform: "k8s",
            kubeContext: "",
            namespace: "actors",
            dbCluster: "actors-db",
            dbAppSecret: secret!.inputs.metadata.name,
            dbRwService: "actors-db-rw",
            webDeployment: deployment,
            webPodSelector: "app.kubernetes.io/name=actors,app.kubernetes.io/component=web",
        });
    });

    it("renders instead of deploying with actors:renderYamlTo: the provider gets renderYamlToDirectory, no context", async () => {
        const provider = (run: ProgramRun) => run.one("pulumi:providers:kubernetes", "k8s-provider").inputs;
        expect(provider(plain).renderYamlToDirectory).toBeUndefined();
        const withContext = { ...base, "actors:kubeContext": "production" };
        expect(provider(await runProgram(withContext)).context).toBe("production");
        const rendered = await runProgram(
            { ...withContext, "actors:renderYamlTo": "/tmp/plan-yaml" },
            { env: { KUBECONFIG: undefined } },
        );
        expect(provider(rendered).renderYamlToDirectory).toBe("/tmp/plan-yaml");
        expect(provider(rendered).context).toBeUndefined();
        await expect(
            runProgram(
                { ...base, "actors:renderYamlTo": "/tmp/plan-yaml" },
                { env: { KUBECONFIG: "/tmp/kubeconfig" } },
            ),
        ).rejects.toThrow('actors:renderYamlTo ("/tmp/plan-yaml") makes the Kubernetes provider write YAML');
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
        // The chart copies the barman-cloud entry of cluster.plugins into spec.plugins.
        expect(compileSchema(cluster.plugins)(values.cluster.plugins)).toEqual([]);
    });

    it("the chart's backup objects, from these values, validate against the ScheduledBackup and ObjectStore CRDs", () => {
        const backups = release(full, "cluster").inputs.values.backups;
        // What the chart's scheduled-backups.yaml makes of each entry (cluster chart 0.8.1, lines 13-23).
        const scheduled = cnpgCrdSchema("ScheduledBackup").properties.spec;
        for (const entry of backups.scheduledBackups) {
            const spec = {
                immediate: true,
                schedule: entry.schedule,
                method: entry.method,
                backupOwnerReference: entry.backupOwnerReference,
                cluster: { name: "actors-db" },
                pluginConfiguration: entry.pluginConfiguration,
            };
            expect(compileSchema(scheduled)(spec)).toEqual([]);
        }
        // What backup-objectstore.yaml copies from the values into the ObjectStore's spec.
        const store = objectStoreCrd().schema.openAPIV3Schema.properties.spec.properties;
        expect(compileSchema(store.retentionPolicy)(backups.retentionPolicy)).toEqual([]);
        expect(compileSchema(store.instanceSidecarConfiguration)(backups.instanceSidecarConfiguration)).toEqual([]);
        const configuration = store.configuration.properties;
        expect(compileSchema(configuration.wal)({ compression: backups.wal.compression })).toEqual([]);
        expect(compileSchema(configuration.data)({ compression: backups.data.compression })).toEqual([]);
        expect(compileSchema(configuration.destinationPath)(backups.destinationPath)).toEqual([]);
    });

    it("the schema checks can fail: a wrong retention, schedule method, sidecar setting or plugin entry is rejected", () => {
        const store = objectStoreCrd().schema.openAPIV3Schema.properties.spec.properties;
        expect(compileSchema(store.retentionPolicy)("30 days")).not.toEqual([]);
        expect(compileSchema(store.instanceSidecarConfiguration)({ env: [{ value: "us-east-1" }] })).not.toEqual([]);
        const scheduled = cnpgCrdSchema("ScheduledBackup").properties.spec;
        expect(
            compileSchema(scheduled)({ schedule: "0 0 3 * * *", cluster: { name: "x" }, method: "barman" }),
        ).not.toEqual([]);
        const plugins = cnpgCrdSchema("Cluster").properties.spec.properties.plugins;
        expect(compileSchema(plugins)([{ isWALArchiver: true }])).not.toEqual([]);
        const values = compileSchema(readReference("cnpg-cluster-chart-0.8.1.values.schema.json"));
        expect(values({ backups: { scheduledBackups: { name: "base-backup" } } })).not.toEqual([]);
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

    it("backs up through the cluster chart's `backups` with the Barman Cloud plugin; declares no backup object itself", () => {
        const values = release(full, "cluster").inputs.values;
        // The in-tree barmanObjectStore (removed in CloudNativePG 1.31) is not used: `method: plugin`.
        expect(JSON.stringify(values)).not.toContain("barmanObjectStore");
        expect(values.backups).toEqual({
            enabled: true,
            method: "plugin",
            pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
            provider: "s3",
            destinationPath: "s3://actors-backups/prod",
            s3: { region: "us-east-1" },
            // The program's own Secret, named; the chart makes none (no key in the values).
            secret: { create: false, name: "actors-db-backup-s3" },
            // The chart's ObjectStore has no region field: it reaches barman-cloud through the sidecar's environment.
            instanceSidecarConfiguration: { env: [{ name: "AWS_DEFAULT_REGION", value: "us-east-1" }] },
            // Not the chart's default AES256, which S3-compatible storage without a KMS refuses.
            wal: { compression: "gzip", encryption: "" },
            data: { compression: "gzip", encryption: "" },
            retentionPolicy: "30d",
            scheduledBackups: [
                {
                    name: "base-backup",
                    schedule: "0 0 3 * * *",
                    backupOwnerReference: "self",
                    method: "plugin",
                    pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
                },
            ],
        });
        // The chart completes the entry (enabled, WAL archiver, its ObjectStore); the server name is the cluster's.
        expect(values.cluster.plugins).toEqual([
            { name: "barman-cloud.cloudnative-pg.io", parameters: { serverName: "actors-db" } },
        ]);
        expect(full.byType(OBJECT_STORE)).toHaveLength(0);
        expect(full.byType(SCHEDULED_BACKUP)).toHaveLength(0);
        expect(release(plain, "cluster").inputs.values.backups).toEqual({ enabled: false });
        expect(release(plain, "cluster").inputs.values.cluster.plugins).toBeUndefined();
    });

    it("an S3-compatible endpoint is the chart's endpointURL; the settings' schedule and retention reach the chart", async () => {
        const run = await runProgram(
            {
                ...withBackups,
                "actors:backupEndpointUrl": "https://minio.example.com:9000",
                "actors:backupS3Region": "eu-west-1",
                "actors:backupSchedule": "0 30 2 * * *",
                "actors:backupRetention": "4w",
            },
            { secretKeys },
        );
        const backups = release(run, "cluster").inputs.values.backups;
        expect(backups.endpointURL).toBe("https://minio.example.com:9000");
        expect(backups.s3).toEqual({ region: "eu-west-1" });
        expect(backups.instanceSidecarConfiguration.env).toEqual([{ name: "AWS_DEFAULT_REGION", value: "eu-west-1" }]);
        expect(backups.scheduledBackups[0].schedule).toBe("0 30 2 * * *");
        expect(backups.retentionPolicy).toBe("4w");
        // Without one, no endpointURL: the chart derives AWS's regional endpoint from s3.region.
        expect(release(full, "cluster").inputs.values.backups.endpointURL).toBeUndefined();
    });

    it("installs the plugin chart in the operator's namespace, only when backups are on", async () => {
        const plugin = release(full, "plugin-barman-cloud").inputs;
        expect([plugin.version, plugin.namespace, plugin.repositoryOpts.repo]).toEqual([
            "0.7.0",
            "cnpg-system",
            "https://cloudnative-pg.github.io/charts",
        ]);
        expect(
            compileSchema(readReference("plugin-barman-cloud-chart-0.7.0.values.schema.json"))(plugin.values),
        ).toEqual([]);
        expect(release(plain, "plugin-barman-cloud")).toBeUndefined();
        const without = await runProgram(
            { ...withBackups, "actors:installBarmanCloudPlugin": "false" },
            { secretKeys },
        );
        expect(release(without, "plugin-barman-cloud")).toBeUndefined();
        expect(release(without, "cluster").inputs.values.backups.enabled).toBe(true);
    });

    it("keeps backup credentials out of the chart values, in a Secret of Pulumi secrets under the keys the chart names", () => {
        const values = release(full, "cluster").inputs.values;
        expect(JSON.stringify(values)).not.toContain(SENTINEL);
        expect(values.backups.s3.accessKey ?? values.backups.s3.secretKey).toBeUndefined();
        const resource = full.byType(SECRET).find((s) => s.inputs.metadata.name === "actors-db-backup-s3")!;
        const secret = asKubernetesObject(resource)!;
        // The chart's ObjectStore reads two keys of `backups.secret.name` (_barman_object_store.tpl:29-34); Region is
        // the earlier code's, kept so that the Secret of an existing stack is not replaced.
        expect(Object.keys(secret.stringData).sort()).toEqual(["ACCESS_KEY_ID", "ACCESS_SECRET_KEY", "Region"]);
        expect(secret.stringData.ACCESS_SECRET_KEY).toBe(`${SENTINEL}-secret-key`);
        expect(plainSecretLeaks(resource.inputs, [SENTINEL])).toEqual([]);
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
            jest.doMock("../../components/contextHash", () => ({ contextHash: () => hash }));
            try {
                return await runProgram(base);
            } finally {
                jest.dontMock("../../components/contextHash");
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

describe("private registries", () => {
    it("pulls with a dockerconfigjson Secret when registry credentials are set, the password only inside a secret", () => {
        const secret = full.byType(SECRET).find((r) => r.inputs.type === "kubernetes.io/dockerconfigjson")!;
        expect(secret.inputs.metadata.name).toBe("actors-registry");
        // Wrapped as a Pulumi secret in the inputs...
        expect(plainSecretLeaks(secret.inputs, [SENTINEL])).toEqual([]);
        // ...and, unwrapped, exactly what kubelet reads.
        const config = JSON.parse(unwrapSecrets(secret.inputs).stringData[".dockerconfigjson"]);
        const password = `${SENTINEL}-registry-token`;
        expect(config).toEqual({
            auths: {
                "localhost:5001": {
                    username: "robot",
                    password,
                    auth: Buffer.from(`robot:${password}`).toString("base64"),
                },
            },
        });
        expect(() => validateKubernetesObject(asKubernetesObject(secret)!)).not.toThrow();
        for (const type of [DEPLOYMENT, JOB])
            expect(full.one(type).inputs.spec.template.spec.imagePullSecrets).toEqual([{ name: "actors-registry" }]);
    });

    it.each([
        ["no credentials", {}, []],
        ["a user name but no password", { "actors:imageRegistryUsername": "robot" }, []],
        [
            "a local image, never pulled",
            {
                "actors:imageRepository": "",
                "actors:localImage": "true",
                "actors:imageRegistryUsername": "robot",
                "actors:imageRegistryPassword": "x",
            },
            ["actors:imageRegistryPassword"],
        ],
    ])("has no pull secret with %s", async (_, override, secrets) => {
        const run = await runProgram({ ...base, ...override }, { secretKeys: secrets });
        expect(run.byType(SECRET).filter((r) => r.inputs.type === "kubernetes.io/dockerconfigjson")).toEqual([]);
        for (const type of [DEPLOYMENT, JOB])
            expect(run.one(type).inputs.spec.template.spec.imagePullSecrets).toBeUndefined();
    });

    it("names Docker Hub by its index URL, other registries by host", () => {
        expect(dockerConfigServer("docker.io")).toBe("https://index.docker.io/v1/");
        expect(dockerConfigServer("ghcr.io")).toBe("ghcr.io");
    });
});

describe("timeouts", () => {
    it("Pulumi awaits the migration Job as long as the Job may run, derived from the Job's own limits", () => {
        const job = plain.one(JOB).inputs;
        const attempt = job.spec.template.spec.activeDeadlineSeconds;
        const retries = job.spec.backoffLimit;
        // Every attempt at its deadline, Kubernetes' backoff between attempts (10 s doubling), then a margin.
        let jobDeadline = attempt * (retries + 1);
        for (let n = 0; n < retries; n++) jobDeadline += 10 * 2 ** n;
        expect(job.spec.activeDeadlineSeconds).toBe(jobDeadline);
        const awaited = Number(job.metadata.annotations["pulumi.com/timeoutSeconds"]);
        expect(awaited).toBeGreaterThan(job.spec.activeDeadlineSeconds);
        expect(awaited - job.spec.activeDeadlineSeconds).toBe(MIGRATION.awaitMarginSeconds);
        expect(awaited).toBeGreaterThan(600); // the provider's default, which the Job used to outlive
        // One attempt leaves room for the migrations after the database wait.
        const wait = Number(job.spec.template.spec.containers[0].command[2]);
        expect(attempt).toBeGreaterThan(wait);
    });

    it("the formula follows the constants", () => {
        const m = { ...MIGRATION, attemptSeconds: 100, backoffLimit: 1, awaitMarginSeconds: 5 };
        expect(migrationDeadlineSeconds(m)).toBe(100 * 2 + 10);
        expect(migrationAwaitSeconds(m)).toBe(215);
        expect(migrationDeadlineSeconds({ ...m, backoffLimit: 7 })).toBe(800 + 10 + 20 + 40 + 80 + 160 + 320 + 360);
    });

    it("every Helm release has a timeout of its own, at least Helm's default", () => {
        const timeouts = Object.fromEntries(full.byType(RELEASE).map((r) => [r.inputs.chart, r.inputs.timeout]));
        expect(timeouts).toEqual({ "cloudnative-pg": 600, "plugin-barman-cloud": 600, cluster: 300 });
    });
});

const restore = {
    ...withBackups,
    "actors:dbClusterName": "actors-db-2",
    "actors:restoreFromBackup": "actors-db",
    "actors:restoreTargetTime": "2026-11-25T20:15:00Z",
};

describe("restoring from a backup", () => {
    let restored: ProgramRun;
    beforeAll(async () => {
        restored = await runProgram(restore, { secretKeys });
    });

    it("creates the new cluster with a recovery bootstrap from the plugin, to the point in time asked for", () => {
        const values = release(restored, "cluster").inputs.values;
        expect(release(restored, "cluster").inputs.name).toBe("actors-db-2");
        expect(values.mode).toBe("recovery");
        expect(values.cluster.initdb).toBeUndefined();
        expect(values.recovery).toEqual({
            method: "plugin",
            pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
            clusterName: "actors-db",
            database: "app",
            owner: "app",
            pitrTarget: { time: "2026-11-25T20:15:00Z" },
            provider: "s3",
            destinationPath: "s3://actors-backups/prod",
            s3: { region: "us-east-1" },
            secret: { create: false, name: "actors-db-2-backup-s3" },
            instanceSidecarConfiguration: { env: [{ name: "AWS_DEFAULT_REGION", value: "us-east-1" }] },
        });
        expect(compileSchema(readReference("cnpg-cluster-chart-0.8.1.values.schema.json"))(values)).toEqual([]);
        // What the chart passes through into the Cluster validates against the CRD.
        const spec = cnpgCrdSchema("Cluster").properties.spec.properties;
        const recovery = spec.bootstrap.properties.recovery.properties;
        expect(compileSchema(recovery.recoveryTarget)({ targetTime: values.recovery.pitrTarget.time })).toEqual([]);
        expect(
            compileSchema(spec.externalClusters.items.properties.plugin)({
                ...values.recovery.pluginConfiguration,
                parameters: { serverName: values.recovery.clusterName },
            }),
        ).toEqual([]);
        expect(compileSchema(recovery.database)(values.recovery.database)).toEqual([]);
    });

    it("sets the restored owner's password to this stack's generated one, which the app connects with", () => {
        const values = release(restored, "cluster").inputs.values;
        expect(values.cluster.roles).toEqual([
            { name: "app", ensure: "present", login: true, passwordSecret: { name: "actors-db-2-app" } },
        ]);
        const roles = cnpgCrdSchema("Cluster").properties.spec.properties.managed.properties.roles;
        expect(compileSchema(roles)(values.cluster.roles)).toEqual([]);
        const secret = asKubernetesObject(
            restored.byType(SECRET).find((r) => r.inputs.metadata.name === "actors-db-2-app")!,
        )!;
        expect([secret.type, secret.stringData.username]).toEqual(["kubernetes.io/basic-auth", "app"]);
        expect(release(full, "cluster").inputs.values.cluster.roles).toBeUndefined();
    });

    it("archives under the new cluster's own server name, never into the archive it restores from", () => {
        const values = release(restored, "cluster").inputs.values;
        // The chart makes the barman-cloud entry the WAL archiver when backups use the plugin.
        expect(values.backups.method).toBe("plugin");
        const archiver = values.cluster.plugins.find((p: any) => p.name === "barman-cloud.cloudnative-pg.io");
        expect(archiver.parameters.serverName).toBe("actors-db-2");
        expect(archiver.parameters.serverName).not.toBe(values.recovery.clusterName);
        // The chart names its backup objects after the new cluster (fullnameOverride): actors-db-2-backups, ...
        expect(values.fullnameOverride).toBe("actors-db-2");
        expect(values.backups.secret.name).toBe("actors-db-2-backup-s3");
        for (const obj of kubeObjects(restored)) expect(() => validateKubernetesObject(obj)).not.toThrow();
    });

    it("the app follows the cluster name", () => {
        const env = container(restored).env.find((e: any) => e.name === "DATABASE_URL");
        expect(env.valueFrom.secretKeyRef).toEqual({ name: "actors-db-2-app", key: "uri" });
        expect(release(restored, "cluster").inputs.values.cluster.initdb).toBeUndefined();
    });

    it("a restore is a new cluster: its bootstrap is a replacement trigger of the protected release", async () => {
        expect(bootstrapIdentity()).toBe("initdb");
        expect(bootstrapIdentity({ serverName: "actors-db", targetTime: "" })).toBe(
            "recovery: actors:restoreFromBackup=actors-db",
        );
        expect(
            clusterReleaseOptions({ protect: true, restore: { serverName: "a", targetTime: "2026-01-01T00:00:00Z" } }),
        ).toEqual({
            protect: true,
            replacementTrigger: "recovery: actors:restoreFromBackup=a actors:restoreTargetTime=2026-01-01T00:00:00Z",
            deleteBeforeReplace: false,
        });
        // And the release really carries those options.
        const before = (await resourceOptions(withBackups, secretKeys))["k8s-db-cluster"];
        const after = (await resourceOptions(restore, secretKeys))["k8s-db-cluster"];
        expect([before.protect, before.replacementTrigger]).toEqual([true, "initdb"]);
        expect([after.protect, after.replacementTrigger]).toEqual([
            true,
            "recovery: actors:restoreFromBackup=actors-db actors:restoreTargetTime=2026-11-25T20:15:00Z",
        ]);
        expect(after.deleteBeforeReplace).toBeFalsy();
    });
});
