/**
 * Backups on the k8s stack through the real Pulumi CLI and the real Kubernetes provider (its Helm client) against a
 * real API server with the upstream CRDs (test/support/k8sWorld.ts): the cluster chart's stand-in renders the
 * ObjectStore, the plugin entry and the ScheduledBackup as the real chart 0.8.1 does (test/support/charts/README.md),
 * and the API server judges them against the Barman Cloud and CloudNativePG CRDs.
 *
 * Two stacks in one cluster, each in its own namespace: one created by this checkout, and one created by the code
 * that declared its own ObjectStore and ScheduledBackup (commit 6031cb1's components/k8s/database.ts, kept in
 * test/lifecycle/fixtures), then upgraded by this checkout. Run through tools/netns-run.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { ROOT } from "../../tools/checkout";
import { SENTINEL } from "../support/helpers";
import { K8sWorld, startK8sWorld } from "../support/k8sWorld";
import { changes, expectOk, plainSecretsIn, PulumiStack, RunResult } from "../support/pulumi";

jest.setTimeout(600_000);

const CLUSTER = "actors-db";
const ACCESS_KEY = `${SENTINEL}-backup-access-key`;
const SECRET_KEY = `${SENTINEL}-backup-secret-key`;
const DATABASE_TS = path.join("components", "k8s", "database.ts");
const OLD_DATABASE_TS = path.join(__dirname, "fixtures", "k8s-database-6031cb1.ts.txt");

let world: K8sWorld;
/** Deployed by the code before the chart made the backup objects, then upgraded (namespace `actors`). */
let upgraded: PulumiStack;
/** Created by this checkout (namespace `actors-fresh`). */
let fresh: PulumiStack;

beforeAll(async () => {
    world = await startK8sWorld();
    upgraded = world.stack;
    await upgraded.setConfig({
        "actors:backupDestination": "s3://actors-backups/prod",
        "actors:backupEndpointUrl": "https://minio.example.com:9000",
        "actors:backupS3Region": "eu-west-1",
        // The ObjectStore CRD comes from the control plane (test/reference), as on a cluster that runs the plugin.
        "actors:installBarmanCloudPlugin": "false",
    });
    await upgraded.setConfig(
        { "actors:backupAccessKeyId": ACCESS_KEY, "actors:backupSecretAccessKey": SECRET_KEY },
        { secret: true },
    );
    fresh = await upgraded.sibling();
    await fresh.setConfig({ "actors:namespace": "actors-fresh" });
    fs.copyFileSync(OLD_DATABASE_TS, path.join(upgraded.dir, DATABASE_TS));
});
afterAll(async () => {
    fresh?.dispose({ checkout: true });
    await world?.stop();
});

const get = (p: string) => world.get(p);
const objectStore = (ns: string, name: string) =>
    get(`/apis/barmancloud.cnpg.io/v1/namespaces/${ns}/objectstores/${name}`);
const scheduledBackup = (ns: string, name: string) =>
    get(`/apis/postgresql.cnpg.io/v1/namespaces/${ns}/scheduledbackups/${name}`);
const cluster = (ns: string) => get(`/apis/postgresql.cnpg.io/v1/namespaces/${ns}/clusters/${CLUSTER}`);
const names = async (ns: string, plural: string, group = "postgresql.cnpg.io") =>
    ((await get(`/apis/${group}/v1/namespaces/${ns}/${plural}`))?.items ?? []).map((o: any) => o.metadata.name).sort();

/** The latest Helm release record of the cluster chart (Helm's Secret: base64 of gzip of JSON), as text. */
async function helmRecord(ns: string): Promise<string> {
    const list = await get(`/api/v1/namespaces/${ns}/secrets?labelSelector=owner%3Dhelm%2Cname%3D${CLUSTER}`);
    const latest = list.items.sort(
        (a: any, b: any) => Number(b.metadata.labels.version) - Number(a.metadata.labels.version),
    )[0];
    const release = Buffer.from(Buffer.from(latest.data.release, "base64").toString(), "base64");
    return zlib.gunzipSync(release).toString();
}

/** What the chart makes with backups on, as the API server holds it; and the keys nowhere in plain text. */
async function expectChartBackups(stack: PulumiStack, ns: string, run: RunResult): Promise<void> {
    const store = await objectStore(ns, `${CLUSTER}-backups`);
    expect(store.metadata.annotations["helm.sh/hook"]).toBe("pre-install,pre-upgrade,pre-rollback");
    expect(store.spec).toEqual({
        retentionPolicy: "30d",
        configuration: {
            destinationPath: "s3://actors-backups/prod",
            endpointURL: "https://minio.example.com:9000",
            s3Credentials: {
                accessKeyId: { name: `${CLUSTER}-backup-s3`, key: "ACCESS_KEY_ID" },
                secretAccessKey: { name: `${CLUSTER}-backup-s3`, key: "ACCESS_SECRET_KEY" },
            },
            wal: { compression: "gzip", maxParallel: 1 },
            data: { compression: "gzip", jobs: 2 },
        },
        // The last two are the CRD's defaults.
        instanceSidecarConfiguration: {
            env: [{ name: "AWS_DEFAULT_REGION", value: "eu-west-1" }],
            logLevel: "info",
            retentionPolicyIntervalSeconds: 1800,
        },
    });
    const scheduled = await scheduledBackup(ns, `${CLUSTER}-base-backup`);
    expect(scheduled.spec).toMatchObject({
        schedule: "0 0 3 * * *",
        immediate: true,
        method: "plugin",
        backupOwnerReference: "self",
        cluster: { name: CLUSTER },
        pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
    });
    expect((await cluster(ns)).spec.plugins).toEqual([
        {
            name: "barman-cloud.cloudnative-pg.io",
            enabled: true,
            isWALArchiver: true,
            parameters: { serverName: CLUSTER, barmanObjectName: `${CLUSTER}-backups` },
        },
    ]);
    // The keys: in the program's Secret only (the chart made none), and in plain text nowhere: not in Pulumi's state,
    // output or stack file, nor in Helm's record of the release (its values).
    const secrets = ((await get(`/api/v1/namespaces/${ns}/secrets`)).items as any[]).map((s) => s.metadata.name);
    expect(secrets.filter((n) => n.includes("creds"))).toEqual([]);
    const keys = (await get(`/api/v1/namespaces/${ns}/secrets/${CLUSTER}-backup-s3`)).data;
    expect(Object.keys(keys).sort()).toEqual(["ACCESS_KEY_ID", "ACCESS_SECRET_KEY", "Region"]);
    expect(Buffer.from(keys.ACCESS_SECRET_KEY, "base64").toString()).toBe(SECRET_KEY);
    expect(await plainSecretsIn(stack, run, [ACCESS_KEY, SECRET_KEY])).toEqual([]);
    const record = await helmRecord(ns);
    expect(record).toContain(`${CLUSTER}-backup-s3`);
    expect(record).not.toContain(SENTINEL);
}

describe("a stack created with backups on", () => {
    it("gets the chart's ObjectStore, plugin entry and ScheduledBackup, accepted by the API server", async () => {
        const r = expectOk(await fresh.up());
        await expectChartBackups(fresh, "actors-fresh", r);
        expect(await names("actors-fresh", "objectstores", "barmancloud.cnpg.io")).toEqual([`${CLUSTER}-backups`]);
        expect(await names("actors-fresh", "scheduledbackups")).toEqual([`${CLUSTER}-base-backup`]);
        expect(changes(expectOk(await fresh.up("--expect-no-changes")))).toEqual([]);
    });
});

describe("a stack whose backup objects were the program's own", () => {
    let uid: string;

    it("was deployed by the code before: its own ObjectStore and ScheduledBackup beside the release", async () => {
        expectOk(await upgraded.up());
        expect(await names("actors", "objectstores", "barmancloud.cnpg.io")).toEqual([`${CLUSTER}-store`]);
        expect(await names("actors", "scheduledbackups")).toEqual([`${CLUSTER}-scheduled`]);
        uid = (await cluster("actors")).metadata.uid;
    });

    it("upgrades in one `pulumi up`: the release updated in place, the program's objects deleted after the chart's exist", async () => {
        fs.copyFileSync(path.join(ROOT, DATABASE_TS), path.join(upgraded.dir, DATABASE_TS));
        const plan = expectOk(await upgraded.preview());
        const lost = plan.steps.filter((s) => /delete|replace|discard/.test(s.op)).map((s) => `${s.op} ${s.name}`);
        // The keys' Secret is the same as before, untouched (the provider would replace it on a change of its data).
        expect(lost.sort()).toEqual(["delete k8s-db-object-store", "delete k8s-db-scheduled-backup"]);
        expect(changes(plan).filter((c) => /k8s-db-(cluster|backup-credentials)$/.test(c))).toEqual([
            "update Release::k8s-db-cluster",
        ]);

        const r = expectOk(await upgraded.up());
        expect(changes(r).filter((c) => /^(delete|replace)/.test(c))).toEqual([
            "delete ObjectStore::k8s-db-object-store",
            "delete ScheduledBackup::k8s-db-scheduled-backup",
        ]);
        // Pulumi deletes what left the program last, after the release's upgrade made the chart's objects.
        const order = r.steps.map((s) => `${s.op} ${s.name}`);
        expect(order.indexOf("update k8s-db-cluster")).toBeGreaterThanOrEqual(0);
        expect(order.indexOf("update k8s-db-cluster")).toBeLessThan(order.indexOf("delete k8s-db-object-store"));
        // The same Cluster object (never replaced), now archiving through the chart's ObjectStore.
        expect((await cluster("actors")).metadata.uid).toBe(uid);
        expect(await names("actors", "objectstores", "barmancloud.cnpg.io")).toEqual([`${CLUSTER}-backups`]);
        expect(await names("actors", "scheduledbackups")).toEqual([`${CLUSTER}-base-backup`]);
        await expectChartBackups(upgraded, "actors", r);
        expect(changes(expectOk(await upgraded.up("--expect-no-changes")))).toEqual([]);
    });
});
