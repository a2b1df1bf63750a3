import { databaseGuardProvider as guard } from "../../components/databaseGuard";
import { herokuDatabaseIdentity } from "../../components/heroku/herokuStack";
import { k8sDatabaseIdentity } from "../../components/k8s/k8sStack";
import type { Settings } from "../../components/config";
import { checkConfig } from "../../components/config/check";

const identity = { "actors:namespace": "actors", "actors:dbClusterName": "actors-db" };
const state = (protectDatabase: boolean, changes: Record<string, string> = {}) => ({
    protectDatabase,
    identity: { ...identity, ...changes },
});
const diff = (olds: object, news: object) => guard.diff!("database-guard", olds, news);

describe("the database guard's diff", () => {
    it("refuses a change of the database's identity while the deployed stack protects it, naming setting and values", async () => {
        await expect(diff(state(true), state(true, { "actors:namespace": "actors-two" }))).rejects.toThrow(
            'refused: actors:namespace "actors" -> "actors-two" would put another database in place of the running one',
        );
        const refused = await diff(state(true), state(false, { "actors:dbClusterName": "db-two" })).catch((e) => e);
        // Turning the protection off in the same update does not count: the deployed stack is protected.
        expect(String(refused.message)).toContain('actors:dbClusterName "actors-db" -> "db-two"');
        expect(String(refused.message)).toContain("nothing was changed");
        expect(refused.stack).toContain("pulumi config set protectDatabase false");
    });

    it("lets the identity change once the deployed stack no longer protects the database", async () => {
        expect(await diff(state(false), state(false, { "actors:namespace": "actors-two" }))).toEqual({
            changes: true,
            replaces: [],
        });
    });

    it("plans nothing when only its own code changed, and an update when only the protection did", async () => {
        expect(await diff(state(true), state(true))).toEqual({ changes: false, replaces: [] });
        expect(await diff(state(true), state(false))).toEqual({ changes: true, replaces: [] });
    });
});

describe("the identity of each platform's database", () => {
    /** The settings the program reads from this config (the plain ones: identities hold no secret). */
    const settingsOf = (config: Record<string, string>) => {
        const checked = checkConfig({
            config,
            isSecret: (key) => key.includes("backup"),
            env: { HEROKU_API_KEY: "key" },
            now: Date.now(),
        });
        expect(checked.problems).toEqual([]);
        return checked.values as unknown as Settings;
    };

    it("k8s: the namespace, the cluster's name and how the cluster was bootstrapped", () => {
        const base = { "actors:platform": "k8s", "actors:localImage": "true" };
        expect(k8sDatabaseIdentity(settingsOf(base))).toEqual({
            "actors:namespace": "actors",
            "actors:dbClusterName": "actors-db",
            "actors:restoreFromBackup/restoreTargetTime": "initdb",
        });
        const restored = settingsOf({
            ...base,
            "actors:backupDestination": "s3://bucket/path",
            "actors:backupAccessKeyId": "id",
            "actors:backupSecretAccessKey": "key",
            "actors:restoreFromBackup": "actors-db-old",
        });
        expect(k8sDatabaseIdentity(restored)["actors:restoreFromBackup/restoreTargetTime"]).toContain(
            "actors:restoreFromBackup=actors-db-old",
        );
        // Settings that change the database in place are not part of it.
        expect(
            k8sDatabaseIdentity(settingsOf({ ...base, "actors:dbInstances": "3", "actors:postgresVersion": "18" })),
        ).toEqual(k8sDatabaseIdentity(settingsOf(base)));
    });

    it("heroku: the plan's tier, not the plan (Heroku changes plans of one tier in place)", () => {
        const plan = (p: string) =>
            herokuDatabaseIdentity(settingsOf({ "actors:platform": "heroku", "actors:herokuPostgresPlan": p }));
        expect(plan("standard-0")).toEqual(plan("standard-2"));
        expect(plan("essential-0")).not.toEqual(plan("standard-0"));
    });
});
