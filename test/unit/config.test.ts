import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { CONFIG_SCHEMA } from "../../components/config";
import { renderPulumiYaml, withConfigTable } from "../../tools/gen-pulumi-yaml";
import { ROOT, runProgram, stackConfig } from "../support/helpers";

const k8s = stackConfig("k8s");
const heroku = stackConfig("heroku");

async function configError(
    config: Record<string, string>,
    secretKeys: string[] = [],
    env: Record<string, string | undefined> = {},
) {
    try {
        await runProgram(config, { secretKeys, env: { HEROKU_API_KEY: undefined, ...env } });
    } catch (err: any) {
        return err;
    }
    throw new Error("the program accepted the configuration");
}

describe("Pulumi.yaml", () => {
    it("declares exactly the program's settings, with type, description and default (generated)", () => {
        expect(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).toBe(renderPulumiYaml());
        const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as any;
        expect(project.name).toBe("actors");
        expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: true } });
        for (const [key, spec] of Object.entries(project.config) as [string, any][]) {
            expect([key, typeof spec.description, spec.default !== undefined]).toEqual([key, "string", true]);
            expect(["string", "integer", "boolean", "array"]).toContain(spec.type);
        }
        expect(Object.keys(project.config).sort()).toEqual(Object.keys(CONFIG_SCHEMA).sort());
    });

    it("each default passes its own check", () => {
        for (const [key, spec] of Object.entries(CONFIG_SCHEMA) as [string, any][]) {
            expect([key, spec.check?.(spec.default)]).toEqual([key, undefined]);
        }
    });

    it("the stack files only set keys of the schema", () => {
        for (const file of [k8s, heroku]) {
            for (const key of Object.keys(file))
                expect(Object.keys(CONFIG_SCHEMA)).toContain(key.replace(/^actors:/, ""));
        }
    });

    it("the README's configuration reference is the schema's (generated)", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        expect(withConfigTable(readme)).toBe(readme);
        for (const key of Object.keys(CONFIG_SCHEMA)) expect(readme).toContain(`| \`${key}\``);
    });
});

describe("bad settings fail with a message naming the key and what is allowed", () => {
    it.each([
        [{ "actors:platform": "aws" }, 'actors:platform must be one of "k8s", "heroku" (got "aws")'],
        [{ "actors:replicas": "two" }, 'actors:replicas must be a whole number (got "two")'],
        [{ "actors:replicas": "0" }, "actors:replicas must be a whole number from 1 to 100 (got 0)"],
        [{ "actors:replicas": "1.5" }, 'actors:replicas must be a whole number (got "1.5")'],
        [{ "actors:localImage": "yes" }, 'actors:localImage must be true or false (got "yes")'],
        [{ "actors:namespace": "Actors_NS" }, "actors:namespace must be a DNS label"],
        [{ "actors:cpuLimit": "lots" }, 'actors:cpuLimit must be a CPU quantity such as "250m" or "1" (got "lots")'],
        [
            { "actors:memoryLimit": "256MB" },
            'actors:memoryLimit must be a size such as "256Mi" or "10Gi" (got "256MB")',
        ],
        [
            { "actors:serviceType": "ExternalName" },
            'actors:serviceType must be one of "ClusterIP", "NodePort", "LoadBalancer"',
        ],
        [{ "actors:ingressHost": "not a host" }, "actors:ingressHost must be a fully qualified lowercase host name"],
        [{ "actors:dbInstances": "12" }, "actors:dbInstances must be a whole number from 1 to 9 (got 12)"],
        [{ "actors:postgresVersion": "9.6" }, 'actors:postgresVersion must be one of "15", "16", "17", "18"'],
        [
            { "actors:backupDestination": "bucket" },
            "actors:backupDestination must be an S3 URL such as s3://my-bucket/actors",
        ],
        [
            { "actors:backupSchedule": "@daily" },
            'actors:backupSchedule must be a six-field cron expression such as "0 0 3 * * *"',
        ],
        [
            { "actors:appEnv": '["lower=1"]' },
            'actors:appEnv must be a list of "NAME=value" strings with NAME in upper case',
        ],
        [
            { "actors:appEnv": '["DATABASE_URL=x"]' },
            "actors:appEnv must be a list without the names the program sets itself",
        ],
        [{ "actors:appEnv": '"A=1"' }, "actors:appEnv must be a list of strings"],
        [{ "actors:imageRepository": "" }, "actors:imageRepository is required on k8s"],
        [{ "actors:maxReplicas": "1" }, "actors:maxReplicas (1) must be at least actors:replicas (2)"],
        [{ "actors:tlsClusterIssuer": "letsencrypt" }, "actors:tlsClusterIssuer needs actors:ingressHost"],
        [
            { "actors:backupDestination": "s3://bucket/x" },
            "actors:backupDestination needs actors:backupAccessKeyId and actors:backupSecretAccessKey",
        ],
        [{ "actors:imageTag": "v1" }, "actors:imageTag is not a setting of this program (see Pulumi.yaml)"],
        [{ "actors:routing": "gateway" }, "actors:routing gateway needs actors:ingressHost"],
        [{ "actors:routing": "mesh" }, 'actors:routing must be one of "ingress", "gateway" (got "mesh")'],
        [{ "actors:letsEncryptEmail": "ops" }, "actors:letsEncryptEmail must be an e-mail address"],
        [
            { "actors:restoreTargetTime": "yesterday" },
            'actors:restoreTargetTime must be an RFC 3339 timestamp with a time zone, such as 2026-11-26T21:30:00Z or 2026-11-26T22:30:00+01:00 (got "yesterday")',
        ],
        [
            { "actors:restoreTargetTime": "2026-02-30T10:00:00Z" },
            "actors:restoreTargetTime must be an RFC 3339 timestamp",
        ],
        [
            { "actors:restoreTargetTime": "2026-11-26T21:00:00" },
            "actors:restoreTargetTime must be an RFC 3339 timestamp",
        ],
        [
            { "actors:restoreTargetTime": "2026-11-26T24:00:00Z" },
            "actors:restoreTargetTime must be an RFC 3339 timestamp",
        ],
        [{ "actors:restoreTargetTime": "2026-11-26" }, "actors:restoreTargetTime must be an RFC 3339 timestamp"],
        [
            { "actors:restoreTargetTime": "2026-11-26T21:00:00Z" },
            "actors:restoreTargetTime needs actors:restoreFromBackup (the backups to recover from)",
        ],
        [{ "actors:restoreFromBackup": "Actors DB" }, "actors:restoreFromBackup must be a DNS label"],
        [
            { "actors:restoreFromBackup": "actors-db", "actors:dbClusterName": "actors-db-2" },
            "actors:restoreFromBackup needs actors:backupDestination (and its keys)",
        ],
        [
            { "actors:dbClusterName": "2db" },
            'actors:dbClusterName must be a DNS label of at most 40 characters starting with a letter (got "2db")',
        ],
        [{ "actors:dbClusterName": "a".repeat(41) }, "actors:dbClusterName must be a DNS label of at most 40"],
        [
            { "actors:installBarmanCloudPlugin": "maybe" },
            'actors:installBarmanCloudPlugin must be true or false (got "maybe")',
        ],
    ])("k8s %j", async (override, message) => {
        const err = await configError({ ...k8s, ...override });
        expect(err.name).toBe("ConfigError");
        expect(err.message).toContain(message);
        expect(err.message.split("\n")[0]).toBe("invalid configuration:");
    });

    it.each([
        [{}, "actors:herokuApiKey is required on heroku"],
        [
            { "actors:herokuPostgresPlan": "hobby-dev" },
            "actors:herokuPostgresPlan must be a Heroku Postgres plan such as essential-0",
        ],
        [{ "actors:herokuRegion": "mars" }, 'actors:herokuRegion must be one of "us", "eu" (got "mars")'],
        [
            { "actors:herokuAppName": "My App" },
            "actors:herokuAppName must be 3 to 30 lowercase letters, digits and '-', starting with a letter",
        ],
        [{ "actors:herokuWebSize": "huge" }, "actors:herokuWebSize must be one of"],
    ])("heroku %j", async (override, message) => {
        expect((await configError({ ...heroku, ...override })).message).toContain(message);
    });

    it("refuses to restore a cluster from its own backups (a restore is a new cluster), naming both settings", async () => {
        const err = await configError(
            {
                ...k8s,
                "actors:backupDestination": "s3://bucket/x",
                "actors:backupAccessKeyId": "id",
                "actors:backupSecretAccessKey": "key",
                "actors:restoreFromBackup": "actors-db",
            },
            ["actors:backupAccessKeyId", "actors:backupSecretAccessKey"],
        );
        expect(err.message).toContain(
            "actors:restoreFromBackup (actors-db) must differ from actors:dbClusterName: CloudNativePG restores only into a new cluster",
        );
        expect(err.message).toContain("Set actors:dbClusterName to a new name such as actors-db-2");
    });

    it.each(["2026-11-25T21:30:00Z", "2026-11-25T22:30:00.5+01:00", "2024-02-29t23:59:59-05:30"])(
        "accepts the RFC 3339 timestamp %s for a restore",
        async (time) => {
            const run = await runProgram(
                {
                    ...k8s,
                    "actors:backupDestination": "s3://bucket/x",
                    "actors:backupAccessKeyId": "id",
                    "actors:backupSecretAccessKey": "key",
                    "actors:dbClusterName": "actors-db-2",
                    "actors:restoreFromBackup": "actors-db",
                    "actors:restoreTargetTime": time,
                },
                { secretKeys: ["actors:backupAccessKeyId", "actors:backupSecretAccessKey"] },
            );
            const cluster = run.byType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "cluster")!;
            expect(cluster.inputs.values.recovery.pitrTarget).toEqual({ time });
        },
    );

    it("refuses a secret setting stored in plain text, without echoing it", async () => {
        const err = await configError({ ...heroku, "actors:herokuApiKey": "hunter2-key" });
        expect(err.message).toContain(
            "actors:herokuApiKey is a secret: set it with `pulumi config set --secret herokuApiKey ...`",
        );
        expect(err.message).not.toContain("hunter2");
    });

    it("lists every problem at once", async () => {
        const err = await configError({ ...k8s, "actors:replicas": "0", "actors:logLevel": "loud" });
        expect(err.problems).toHaveLength(2);
    });

    it("accepts HEROKU_API_KEY from the environment instead of config", async () => {
        const run = await runProgram(heroku, { env: { HEROKU_API_KEY: "from-env" } });
        expect(run.resources.length).toBeGreaterThan(0);
    });
});
