/**
 * Every setting the k8s stack reads (components/config/settings.ts), changed in turn on the deployed stack, previewed and
 * then applied, as Pulumi runs the program (test/engine). Each change starts from the same deployed state.
 */
import { testValues } from "../support/planMocks";
import { binaryProviders } from "../support/engine/binaryProviders";
import { Engine, ProgramSpec, StackState } from "../support/engine/engine";
import { copyProject, removeProject, stackSpec } from "../support/engine/fixture";
import { expectOk, expectSettingChange, settingsOf } from "../support/engine/lifecycle";
import { SENTINEL } from "../support/helpers";

const secretValue = (what: string) => `${SENTINEL}-${what}`;
/** Backups to object storage, which the backup and restore settings need alongside. */
const BACKUPS = {
    config: {
        "actors:backupDestination": "s3://actors-backups/prod",
        "actors:backupAccessKeyId": secretValue("access-key"),
        "actors:backupSecretAccessKey": secretValue("secret-key"),
    },
    secretKeys: ["actors:backupAccessKeyId", "actors:backupSecretAccessKey"],
};
/** A new value for each setting (with what it needs alongside, for the settings that need another). */
const CHANGES: Record<string, { config: Record<string, string>; secretKeys?: string[] }> = {
    webConcurrency: { config: { "actors:webConcurrency": "4" } },
    logLevel: { config: { "actors:logLevel": "debug" } },
    appEnv: { config: { "actors:appEnv": '["FEATURE_FLAGS=search"]' } },
    imageRepository: { config: { "actors:imageRepository": "ghcr.io/acme/actors" } },
    imageRegistryUsername: { config: { "actors:imageRegistryUsername": "robot" } },
    imageRegistryPassword: {
        config: { "actors:imageRegistryUsername": "robot", "actors:imageRegistryPassword": secretValue("registry") },
        secretKeys: ["actors:imageRegistryPassword"],
    },
    localImage: { config: { "actors:localImage": "true" } },
    kubeContext: { config: { "actors:kubeContext": "production" } },
    // `npm run render`'s own setting (test/commands/render.test.ts); on a deployed stack it swaps the provider.
    renderYamlTo: { config: { "actors:renderYamlTo": "/tmp/actors-rendered" } },
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
        secretKeys: BACKUPS.secretKeys,
    },
    restoreFromBackup: {
        config: { ...BACKUPS.config, "actors:restoreFromBackup": "actors-db-old" },
        secretKeys: BACKUPS.secretKeys,
    },
    restoreTargetTime: {
        config: {
            ...BACKUPS.config,
            "actors:restoreFromBackup": "actors-db-old",
            "actors:restoreTargetTime": "2026-01-02T03:04:05Z",
        },
        secretKeys: BACKUPS.secretKeys,
    },
    backupEndpointUrl: { config: { "actors:backupEndpointUrl": "https://s3.example.com" } },
    backupS3Region: { config: { "actors:backupS3Region": "eu-west-1" } },
    backupSchedule: { config: { "actors:backupSchedule": "0 30 2 * * *" } },
    backupRetention: { config: { "actors:backupRetention": "4w" } },
    backupAccessKeyId: {
        config: { "actors:backupAccessKeyId": secretValue("access-key") },
        secretKeys: ["actors:backupAccessKeyId"],
    },
    backupSecretAccessKey: {
        config: { "actors:backupSecretAccessKey": secretValue("secret-key") },
        secretKeys: ["actors:backupSecretAccessKey"],
    },
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
};

let engine: Engine;
let dir: string;
const deployed = new StackState();
const binary = binaryProviders(testValues(SENTINEL));
const spec = (config: Record<string, string> = {}, secretKeys: string[] = []): ProgramSpec =>
    stackSpec(dir, "k8s", { config, secretKeys });

beforeAll(async () => {
    engine = await Engine.start();
    dir = copyProject();
    expectOk(await engine.up(deployed, spec(), { binary }));
});
afterAll(async () => {
    await engine?.stop();
    removeProject(dir);
});

it("has a change for every setting the k8s stack reads", () => {
    expect(Object.keys(CHANGES).sort()).toEqual(settingsOf("k8s").sort());
});

it.each(settingsOf("k8s"))(
    "%s: applied in place, or replacing only what the preview said, or refused naming the setting",
    async (key) => {
        const change = CHANGES[key];
        await expectSettingChange(engine, deployed, key, spec(change.config, change.secretKeys ?? []), {
            binary,
            secrets: [SENTINEL],
            // Moving to another cluster or namespace would replace the database: the engine refuses, in the preview.
            protectRefusalInPreview: true,
        });
    },
);
