/**
 * Every setting the k8s stack reads (components/config.ts), changed in turn on the deployed stack, previewed and
 * then applied, as Pulumi runs the program (test/engine). Each change starts from the same deployed state.
 */
import { testValues } from "../scripts/planMocks";
import { binaryProviders } from "./engine/binaryProviders";
import { Engine, messages, ProgramSpec, StackState } from "./engine/engine";
import { copyProject, removeProject, stackSpec } from "./engine/fixture";
import { changes, errors, expectOk, opsOn, plainSecretsIn, settingsOf } from "./engine/lifecycle";
import { SENTINEL } from "./helpers";

const secretValue = (what: string) => `${SENTINEL}-${what}`;
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
    backupDestination: {
        config: {
            "actors:backupDestination": "s3://actors-backups/prod",
            "actors:backupAccessKeyId": secretValue("access-key"),
            "actors:backupSecretAccessKey": secretValue("secret-key"),
        },
        secretKeys: ["actors:backupAccessKeyId", "actors:backupSecretAccessKey"],
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
        const trial = deployed.clone();
        const protectedIds = deployed.resources.filter((r) => r.protect).map((r) => `${r.urn}=${r.id}`);
        const p = spec(change.config, change.secretKeys ?? []);
        const planned = await engine.up(trial, p, { binary, preview: true });
        const applied = await engine.up(trial, p, { binary });
        expect({ preview: planned.ok, up: applied.ok }).toEqual({ preview: applied.ok, up: applied.ok });
        if (applied.ok) {
            // Nothing happens that the preview did not show (a preview may show more: what it cannot know is unknown).
            expect(changes(applied).filter((c) => !changes(planned).includes(c))).toEqual([]);
            expect(plainSecretsIn(applied, trial, [SENTINEL])).toEqual([]);
        } else {
            // Refused: by the program, naming the setting; or by the engine, protecting the database from a
            // replacement that the preview already refused the same way.
            const protectedRefusal = deployed.resources
                .filter((r) => r.protect)
                .map((r) => messages.replaceProtected(r.urn))
                .find((m) => errors(applied).includes(m));
            if (protectedRefusal) expect(errors(planned)).toContain(protectedRefusal);
            else expect(errors(applied)).toContain(`actors:${key}`);
        }
        // The database is never deleted or replaced while protectDatabase is on.
        if (key !== "protectDatabase") {
            expect(opsOn(applied, "delete", "replace").filter((c) => c.includes("k8s-db-cluster"))).toEqual([]);
            expect(trial.resources.filter((r) => r.protect).map((r) => `${r.urn}=${r.id}`)).toEqual(protectedIds);
        }
    },
);
