import { plainSecretLeaks, runProgram, stackConfig, unwrapSecrets } from "../test/support/helpers";
import {
    databaseBackupsThroughPlugin,
    databaseStaysInNamespace,
    herokuPostgresTls,
    imagesPinned,
    noPlaintextSecrets,
    noUnrequestedExposure,
    podSecurityRestricted,
    probesSet,
    resourcePolicies,
    resourcesSet,
    stackPolicies,
} from "./policies";

const DIGEST = `ghcr.io/acme/actors@sha256:${"a".repeat(64)}`;
const goodContainer = () => ({
    name: "web",
    image: DIGEST,
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    readinessProbe: { httpGet: { path: "/readyz", port: 5000 } },
    livenessProbe: { httpGet: { path: "/healthz", port: 5000 } },
    env: [{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "db", key: "uri" } } }],
    securityContext: {
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    },
});
const deployment = (mutate: (c: any, pod: any) => void = () => {}) => {
    const c = goodContainer();
    const pod: any = {
        containers: [c],
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    };
    mutate(c, pod);
    return { type: "kubernetes:apps/v1:Deployment", name: "web", props: { spec: { template: { spec: pod } } } };
};
function violations(policy: { validateResource: Function }, resource: any): string[] {
    const found: string[] = [];
    policy.validateResource(resource, (m: string) => found.push(m));
    return found;
}
function stackViolations(policy: { validateStack: Function }, resources: any[]): string[] {
    const found: string[] = [];
    policy.validateStack({ resources }, (m: string) => found.push(m));
    return found;
}

describe("each rule passes a good resource and catches a bad one", () => {
    it("pod security restricted", () => {
        expect(violations(podSecurityRestricted, deployment())).toEqual([]);
        expect(
            violations(
                podSecurityRestricted,
                deployment((c) => (c.securityContext.allowPrivilegeEscalation = true)),
            ),
        ).toEqual(["Deployment web: container web: allowPrivilegeEscalation must be false"]);
        expect(
            violations(
                podSecurityRestricted,
                deployment((_c, pod) => (pod.hostNetwork = true)),
            ),
        ).toContain("Deployment web: hostNetwork must not be true");
        expect(
            violations(
                podSecurityRestricted,
                deployment((_c, pod) => (pod.volumes = [{ name: "h", hostPath: { path: "/" } }])),
            ),
        ).toContain("Deployment web: volume h: hostPath volumes are not allowed");
    });

    it("requests and limits", () => {
        expect(violations(resourcesSet, deployment())).toEqual([]);
        expect(
            violations(
                resourcesSet,
                deployment((c) => delete c.resources.limits.memory),
            ),
        ).toEqual(["container web: limits.memory is not set"]);
    });

    it("probes", () => {
        expect(violations(probesSet, deployment())).toEqual([]);
        expect(
            violations(
                probesSet,
                deployment((c) => delete c.livenessProbe),
            ),
        ).toEqual(["container web: no livenessProbe"]);
        const job = { ...deployment((c) => delete c.livenessProbe), type: "kubernetes:batch/v1:Job" };
        expect(violations(probesSet, job)).toEqual([]); // run-to-completion: no probes needed
    });

    it("images pinned by digest", () => {
        expect(violations(imagesPinned, deployment())).toEqual([]);
        expect(
            violations(
                imagesPinned,
                deployment((c) => (c.image = "ghcr.io/acme/actors:latest")),
            ),
        ).toEqual(["container web: image ghcr.io/acme/actors:latest is not pinned by digest"]);
        expect(
            violations(
                imagesPinned,
                deployment((c) => Object.assign(c, { image: "actors:sha-1", imagePullPolicy: "Never" })),
            ),
        ).toEqual([]);
    });

    it("no NodePort or LoadBalancer unless asked", () => {
        const svc = (type: string, annotations = {}) => ({
            type: "kubernetes:core/v1:Service",
            name: "web",
            props: { metadata: { annotations }, spec: { type } },
        });
        expect(violations(noUnrequestedExposure, svc("ClusterIP"))).toEqual([]);
        expect(violations(noUnrequestedExposure, svc("LoadBalancer"))).toEqual([
            "Service web is LoadBalancer but no setting asked for it",
        ]);
        expect(
            violations(
                noUnrequestedExposure,
                svc("LoadBalancer", { "actors.dev/requested-service-type": "LoadBalancer" }),
            ),
        ).toEqual([]);
    });

    it("no secret in plain text", () => {
        expect(violations(noPlaintextSecrets, deployment())).toEqual([]);
        expect(
            violations(
                noPlaintextSecrets,
                deployment((c) => c.env.push({ name: "API_TOKEN", value: "abc" })),
            ),
        ).toEqual(["container web: API_TOKEN is set in plain text; use valueFrom.secretKeyRef"]);
        const release = (values: any) => ({ type: "kubernetes:helm.sh/v3:Release", name: "db", props: { values } });
        expect(violations(noPlaintextSecrets, release({ backups: { secret: { create: false, name: "s3" } } }))).toEqual(
            [],
        );
        expect(violations(noPlaintextSecrets, release({ backups: { s3: { secretKey: "AKIA..." } } }))).toEqual([
            "Helm values backups.s3.secretKey carry a credential; reference a Secret instead",
        ]);
    });

    it("database reachable only from its namespace", () => {
        const release = {
            type: "kubernetes:helm.sh/v3:Release",
            name: "db",
            props: { chart: "cluster", name: "pg", namespace: "app", values: {} },
        };
        const policy = (from: any[]) => ({
            type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            name: "pg-ingress",
            props: {
                spec: {
                    podSelector: { matchLabels: { "cnpg.io/cluster": "pg" } },
                    ingress: [{ from, ports: [{ port: 5432 }] }],
                },
            },
        });
        expect(
            stackViolations(databaseStaysInNamespace, [
                release,
                policy([{ podSelector: { matchLabels: { app: "x" } } }]),
            ]),
        ).toEqual([]);
        expect(stackViolations(databaseStaysInNamespace, [release])).toEqual([
            "database cluster pg has no NetworkPolicy: it is reachable from every namespace",
        ]);
        expect(stackViolations(databaseStaysInNamespace, [release, policy([{ namespaceSelector: {} }])])).toEqual([
            "NetworkPolicy pg-ingress: PostgreSQL reachable from outside namespace app",
        ]);
    });

    it("database backups through the plugin, never archiving into the restore source", () => {
        const cluster = (values: any) => ({
            type: "kubernetes:helm.sh/v3:Release",
            name: "db",
            props: { chart: "cluster", name: "pg", namespace: "app", values: { fullnameOverride: "pg", ...values } },
        });
        const archiver = (serverName: string) => ({
            plugins: [{ name: "barman-cloud.cloudnative-pg.io", isWALArchiver: true, parameters: { serverName } }],
        });
        const scheduled = (method?: string) => ({
            type: "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
            name: "daily",
            props: { spec: method ? { method } : {} },
        });
        expect(
            stackViolations(databaseBackupsThroughPlugin, [
                cluster({ backups: { enabled: false }, cluster: archiver("pg") }),
                scheduled("plugin"),
            ]),
        ).toEqual([]);
        expect(
            stackViolations(databaseBackupsThroughPlugin, [
                cluster({ mode: "recovery", recovery: { clusterName: "old" }, cluster: archiver("pg") }),
            ]),
        ).toEqual([]);
        expect(
            stackViolations(databaseBackupsThroughPlugin, [
                cluster({ backups: { enabled: true, method: "barmanObjectStore" } }),
                scheduled(),
            ]),
        ).toEqual([
            "database cluster pg: backups use the in-tree barmanObjectStore; use the Barman Cloud plugin",
            "ScheduledBackup daily: method barmanObjectStore; use method plugin",
        ]);
        expect(
            stackViolations(databaseBackupsThroughPlugin, [
                cluster({
                    mode: "recovery",
                    recovery: { clusterName: "pg" },
                    cluster: { plugins: [{ name: "x", isWALArchiver: true }] },
                }),
            ]),
        ).toEqual(["database cluster pg: archives its WAL as pg, the server it restores from"]);
        // The chart's form: `backups.method: plugin` makes the plugin's entry the archiver, and the ScheduledBackups
        // are values of the release.
        const chartBackups = (method: string, serverName?: string) => ({
            backups: {
                enabled: true,
                method: "plugin",
                pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
                scheduledBackups: [{ name: "base-backup", method }],
            },
            cluster: serverName
                ? { plugins: [{ name: "barman-cloud.cloudnative-pg.io", parameters: { serverName } }] }
                : {},
        });
        const restoring = (values: any) => cluster({ ...values, mode: "recovery", recovery: { clusterName: "old" } });
        expect(stackViolations(databaseBackupsThroughPlugin, [restoring(chartBackups("plugin", "pg"))])).toEqual([]);
        expect(
            stackViolations(databaseBackupsThroughPlugin, [
                restoring(chartBackups("barmanObjectStore", "old")),
                cluster({ ...chartBackups("plugin"), mode: "recovery", recovery: { clusterName: "pg" } }),
            ]),
        ).toEqual([
            "database cluster pg: archives its WAL as old, the server it restores from",
            "database cluster pg: scheduled backup base-backup: method barmanObjectStore; use method plugin",
            "database cluster pg: archives its WAL as pg, the server it restores from",
        ]);
    });

    it("Heroku Postgres only over TLS", () => {
        const addon = { type: "actors-heroku:index:PostgresAddon", name: "pg", props: { appId: "a1" } };
        const vars = (PGSSLMODE?: string) => ({
            type: "actors-heroku:index:ConfigVars",
            name: "cv",
            props: { appId: "a1", vars: PGSSLMODE ? { PGSSLMODE } : {} },
        });
        expect(stackViolations(herokuPostgresTls, [addon, vars("require")])).toEqual([]);
        expect(stackViolations(herokuPostgresTls, [addon, vars("prefer")])).toEqual([
            'Heroku Postgres pg: the app\'s PGSSLMODE is "prefer", not require/verify-ca/verify-full',
        ]);
        expect(stackViolations(herokuPostgresTls, [addon])).toHaveLength(1);
    });
});

/** Every rule of the pack over a program's resources, as the engine would run them. */
function packViolations(resources: { type: string; name: string; props: any }[]): string[] {
    const found: string[] = [];
    for (const policy of resourcePolicies)
        for (const r of resources) policy.validateResource(r, (m) => found.push(`${policy.name}: ${m}`));
    for (const policy of stackPolicies) policy.validateStack({ resources }, (m) => found.push(`${policy.name}: ${m}`));
    return found;
}

describe("the program as configured in both stack files passes the whole pack", () => {
    it.each(["k8s", "heroku"] as const)("%s", async (stack) => {
        const run = await runProgram(stackConfig(stack), { env: { HEROKU_API_KEY: "policy-test" } });
        // The engine hands policies plain values: unwrap the mocks' secret markers the same way.
        const resources = run.resources.map((r) => ({ type: r.type, name: r.name, props: unwrapSecrets(r.inputs) }));
        expect(plainSecretLeaks(resources, ["policy-test"])).toEqual([]);
        expect(packViolations(resources)).toEqual([]);
        if (stack === "heroku") expect(resources.some((r) => r.type.endsWith(":PostgresAddon"))).toBe(true);
    });

    it("backups and a restore, as the program makes them, pass the whole pack", async () => {
        const secrets = ["actors:backupAccessKeyId", "actors:backupSecretAccessKey", "actors:imageRegistryPassword"];
        const run = await runProgram(
            {
                ...stackConfig("k8s"),
                "actors:backupDestination": "s3://bucket/actors",
                "actors:backupAccessKeyId": "id",
                "actors:backupSecretAccessKey": "key",
                "actors:imageRegistryUsername": "robot",
                "actors:imageRegistryPassword": "token",
                "actors:dbClusterName": "actors-db-2",
                "actors:restoreFromBackup": "actors-db",
            },
            { secretKeys: secrets },
        );
        const resources = run.resources.map((r) => ({ type: r.type, name: r.name, props: unwrapSecrets(r.inputs) }));
        const values = resources.find((r) => r.props?.chart === "cluster")!.props.values;
        expect([values.mode, values.backups.method, values.backups.scheduledBackups.length]).toEqual([
            "recovery",
            "plugin",
            1,
        ]);
        expect(packViolations(resources)).toEqual([]);
    });

    it("a LoadBalancer asked for by setting passes", async () => {
        const run = await runProgram({ ...stackConfig("k8s"), "actors:serviceType": "LoadBalancer" });
        const svc = run.one("kubernetes:core/v1:Service");
        expect(
            violations(noUnrequestedExposure, { type: svc.type, name: svc.name, props: unwrapSecrets(svc.inputs) }),
        ).toEqual([]);
    });
});
