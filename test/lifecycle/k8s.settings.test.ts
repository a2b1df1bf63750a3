/**
 * Every setting the k8s stack reads (components/config/settings.ts), changed in turn on the deployed stack through the
 * real CLI and the real Kubernetes provider against a real API server, previewed and then applied. Each change starts
 * from a fork of the same deployed stack (its own checkout and state) on the one cluster; a fork whose change created
 * objects reverts its settings and runs `up` again, so the next fork finds the cluster as deployed. An Ingress or a
 * LoadBalancer Service gets its load-balancer status from KWOK (test/support/kwok/load-balancers.yaml). Run through
 * tools/netns-run (npm run test:lifecycle).
 */
import { SENTINEL } from "../support/helpers";
import { K8sWorld, startK8sWorld } from "../support/k8sWorld";
import { expectOk } from "../support/pulumi";
import { expectSettingChange, SettingChange, settingsOf } from "../support/settingChange";

jest.setTimeout(600_000);

const secretValue = (what: string) => `${SENTINEL}-${what}`;
/** Backups to object storage, which the backup and restore settings need alongside. */
const BACKUPS: SettingChange = {
    config: { "actors:backupDestination": "s3://actors-backups/prod" },
    secrets: {
        "actors:backupAccessKeyId": secretValue("access-key"),
        "actors:backupSecretAccessKey": secretValue("secret-key"),
    },
};
/** A new value for each setting (with what it needs alongside, for the settings that need another). */
const changesFor = (world: K8sWorld): Record<string, SettingChange> => ({
    webConcurrency: { config: { "actors:webConcurrency": "4" } },
    logLevel: { config: { "actors:logLevel": "debug" } },
    appEnv: { paths: { "actors:appEnv[0]": "FEATURE_FLAGS=search" } },
    imageRepository: { config: { "actors:imageRepository": `${world.registry.host}/actors-two` } },
    imageRegistryUsername: { config: { "actors:imageRegistryUsername": "robot" } },
    imageRegistryPassword: {
        config: { "actors:imageRegistryUsername": "robot" },
        secrets: { "actors:imageRegistryPassword": secretValue("registry") },
    },
    localImage: { config: { "actors:localImage": "true" } },
    kubeContext: { config: { "actors:kubeContext": "production" } },
    // `npm run render`'s own setting (test/commands/render.test.ts); on a deployed stack it swaps the provider.
    renderYamlTo: { config: { "actors:renderYamlTo": "/tmp/actors-rendered" } },
    chartRepository: { config: { "actors:chartRepository": `${world.charts.url}/` } },
    namespace: { config: { "actors:namespace": "actors-two" } },
    replicas: { config: { "actors:replicas": "3" } },
    maxReplicas: { config: { "actors:maxReplicas": "8" } },
    targetCpuUtilization: { config: { "actors:targetCpuUtilization": "60" } },
    cpuRequest: { config: { "actors:cpuRequest": "200m" } },
    cpuLimit: { config: { "actors:cpuLimit": "2" } },
    memoryRequest: { config: { "actors:memoryRequest": "128Mi" } },
    memoryLimit: { config: { "actors:memoryLimit": "512Mi" } },
    serviceType: { config: { "actors:serviceType": "LoadBalancer" } },
    ingressHost: { config: { "actors:ingressHost": "actors.example.com" } },
    ingressClassName: { config: { "actors:ingressHost": "actors.example.com", "actors:ingressClassName": "traefik" } },
    tlsClusterIssuer: {
        config: { "actors:ingressHost": "actors.example.com", "actors:tlsClusterIssuer": "letsencrypt-production" },
    },
    installCnpgOperator: { config: { "actors:installCnpgOperator": "false" } },
    cnpgOperatorNamespace: { config: { "actors:cnpgOperatorNamespace": "cnpg-operators" } },
    postgresVersion: { config: { "actors:postgresVersion": "18" } },
    dbInstances: { config: { "actors:dbInstances": "3" } },
    dbStorageSize: { config: { "actors:dbStorageSize": "5Gi" } },
    dbStorageClass: { config: { "actors:dbStorageClass": "fast-ssd" } },
    protectDatabase: { config: { "actors:protectDatabase": "false" } },
    dbCpu: { config: { "actors:dbCpu": "1" } },
    dbMemory: { config: { "actors:dbMemory": "1Gi" } },
    monitoring: { config: { "actors:monitoring": "true" } },
    backupDestination: BACKUPS,
    dbClusterName: { config: { "actors:dbClusterName": "actors-db-two" } },
    installBarmanCloudPlugin: {
        config: { ...BACKUPS.config, "actors:installBarmanCloudPlugin": "false" },
        secrets: BACKUPS.secrets,
    },
    restoreFromBackup: {
        config: { ...BACKUPS.config, "actors:restoreFromBackup": "actors-db-old" },
        secrets: BACKUPS.secrets,
    },
    restoreTargetTime: {
        config: {
            ...BACKUPS.config,
            "actors:restoreFromBackup": "actors-db-old",
            "actors:restoreTargetTime": "2026-01-02T03:04:05Z",
        },
        secrets: BACKUPS.secrets,
    },
    backupEndpointUrl: { config: { "actors:backupEndpointUrl": "https://s3.example.com" } },
    backupS3Region: { config: { "actors:backupS3Region": "eu-west-1" } },
    backupSchedule: { config: { "actors:backupSchedule": "0 30 2 * * *" } },
    backupRetention: { config: { "actors:backupRetention": "4w" } },
    backupAccessKeyId: { secrets: { "actors:backupAccessKeyId": secretValue("access-key") } },
    backupSecretAccessKey: { secrets: { "actors:backupSecretAccessKey": secretValue("secret-key") } },
    installCertManager: { config: { "actors:installCertManager": "true" } },
    letsEncryptEmail: { config: { "actors:letsEncryptEmail": "ops@example.com" } },
    installTraefik: { config: { "actors:installTraefik": "true" } },
    routing: { config: { "actors:ingressHost": "actors.example.com", "actors:routing": "gateway" } },
    gatewayClassName: {
        config: {
            "actors:ingressHost": "actors.example.com",
            "actors:routing": "gateway",
            "actors:gatewayClassName": "istio",
        },
    },
    installKubePrometheusStack: { config: { "actors:installKubePrometheusStack": "true" } },
    alertErrorPercent: { config: { "actors:monitoring": "true", "actors:alertErrorPercent": "2" } },
    alertLatencyMs: { config: { "actors:monitoring": "true", "actors:alertLatencyMs": "250" } },
});

let world: K8sWorld;

beforeAll(async () => {
    world = await startK8sWorld();
    expectOk(await world.stack.up());
});
afterAll(async () => {
    await world?.stop();
});

it("has a change for every setting the k8s stack reads", () => {
    expect(Object.keys(changesFor(world)).sort()).toEqual(settingsOf("k8s").sort());
});

it.each(settingsOf("k8s"))(
    "%s: applied in place, or replacing only what the preview said, or refused naming the setting",
    async (key) => {
        await expectSettingChange(world.stack, key, changesFor(world)[key], {
            plaintexts: [SENTINEL],
            sharedWorld: true,
        });
    },
);
