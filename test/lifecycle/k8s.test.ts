/**
 * The k8s stack's lifecycle through the real Pulumi CLI and the real Kubernetes provider, against a real API server
 * (test/support/cluster.ts: PodSecurity, RBAC, the upstream CRDs, a KWOK node), with the charts from a loopback Helm
 * repository (test/support/charts.ts) named by actors:chartRepository. The API server is the judge of every object:
 * a change it refuses fails these tests. Run through tools/netns-run (npm run test:lifecycle).
 *
 * The CloudNativePG operator is not installed (actors:installCnpgOperator false): its CRDs are, as on a cluster that
 * already runs it. Nothing here runs the operator or its webhooks (see docs/testing.md).
 */
import * as fs from "fs";
import * as path from "path";
import { copyProject, removeProject, touch } from "../../tools/checkout";
import { waitFor } from "../support/kubeApi";
import { SENTINEL } from "../support/helpers";
import { K8sWorld, startK8sWorld } from "../support/k8sWorld";
import { changes, errors, expectOk, opsOn, plainSecretsIn, PulumiStack } from "../support/pulumi";

jest.setTimeout(600_000);

const NS = "actors";
const CLUSTER = "actors-db";
/** What a new image rolls out: the image, the Deployment, and a new migration Job (named by the image's tag). */
const ROLLOUT = ["replace Job::k8s-web-migrate", "update Deployment::k8s-web-deployment", "update Image::app"];

let world: K8sWorld;
let stack: PulumiStack;

beforeAll(async () => {
    world = await startK8sWorld();
    stack = world.stack;
});
afterAll(async () => {
    await world?.stop();
});

const get = (p: string) => world.get(p);
/** A copy of the stack (its state, on a copy of the checkout with its settings), to try what must be refused. */
const fork = async () => {
    const copy = await stack.fork();
    return { copy, done: () => copy.dispose({ checkout: true }) };
};
const jobs = async () => (await get(`/apis/batch/v1/namespaces/${NS}/jobs`)).items as any[];
const readyReplicas = (n: number) =>
    waitFor(
        `${n} Ready replicas of actors-web`,
        async () => {
            const d = await get(`/apis/apps/v1/namespaces/${NS}/deployments/actors-web`);
            const s = d?.status ?? {};
            return s.readyReplicas === n && s.updatedReplicas === n && s.replicas === n ? d : undefined;
        },
        120_000,
    );
const complete = (job: any) => job.status?.conditions?.some((c: any) => c.type === "Complete" && c.status === "True");

describe("the first deploy", () => {
    it("`pulumi up` completes, with every await satisfied and every object accepted by the API server", async () => {
        const r = expectOk(await stack.up());
        const skipped = r.diagnostics.filter(
            (d) => ["warning", "error"].includes(d.severity) && /skip|unreachable|timed out/i.test(d.message),
        );
        expect(skipped).toEqual([]);

        const ns = await get(`/api/v1/namespaces/${NS}`);
        expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        // The Deployment's pods were admitted under restricted and are Ready on the node; the autoscaler (the
        // controller manager's) raises it to actors:replicas, its floor.
        await readyReplicas(2);
        const [job, ...more] = await jobs();
        expect(more).toEqual([]);
        expect([job.metadata.name, complete(job)]).toEqual([expect.stringMatching(/^actors-migrate-/), true]);
        // The cluster chart (from the mirror) made the Cluster the app's secret names, judged by the upstream CRD.
        const cluster = await get(`/apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters/${CLUSTER}`);
        expect(cluster.spec.bootstrap.initdb).toEqual({
            database: "app",
            owner: "app",
            secret: { name: `${CLUSTER}-app` },
        });
        const secret = await get(`/api/v1/namespaces/${NS}/secrets/${CLUSTER}-app`);
        expect(Object.keys(secret.data).sort()).toEqual(["dbname", "host", "password", "port", "uri", "username"]);
        // The generated owner password reached the cluster, and nowhere in plain text on the way.
        expect(Buffer.from(secret.data.password, "base64").toString()).toMatch(new RegExp(`^${SENTINEL}`));
        expect(await plainSecretsIn(stack, r, [SENTINEL])).toEqual([]);
        expect(world.charts.requests).toEqual(expect.arrayContaining(["GET /index.yaml", "GET /cluster-0.8.1.tgz"]));
    });

    it("`pulumi refresh` right after plans nothing", async () => {
        expectOk(await stack.refresh("--expect-no-changes"));
    });

    it("an unchanged `pulumi up` does nothing", async () => {
        const r = expectOk(await stack.up("--expect-no-changes"));
        expect(changes(r)).toEqual([]);
    });
});

describe("an app change", () => {
    it("rolls the Deployment and runs the new migration Job exactly once", async () => {
        const before = await get(`/apis/apps/v1/namespaces/${NS}/deployments/actors-web`);
        const [oldJob] = await jobs();
        touch(stack.dir, "app/actors/__init__.py", "# a change to the app");

        const r = expectOk(await stack.up());
        expect(changes(r)).toEqual(ROLLOUT);
        const after = await get(`/apis/apps/v1/namespaces/${NS}/deployments/actors-web`);
        expect(after.spec.template.spec.containers[0].image).not.toBe(before.spec.template.spec.containers[0].image);
        await readyReplicas(2);
        const now = await jobs();
        expect(now.map((j) => j.metadata.name)).not.toContain(oldJob.metadata.name);
        expect(now.map((j) => [complete(j), j.status.succeeded])).toEqual([[true, 1]]);

        // Once: the next unchanged run neither migrates again nor rolls.
        expect(changes(expectOk(await stack.up("--expect-no-changes")))).toEqual([]);
        expect((await jobs()).map((j) => j.metadata.uid)).toEqual(now.map((j) => j.metadata.uid));
    });
});

describe("what else rolls out, and what does not", () => {
    it("a Dockerfile change rolls out once too", async () => {
        // A change to what the image is (a comment alone builds the very same image, the same digest).
        touch(stack.dir, "app/Dockerfile", 'LABEL org.opencontainers.image.description="a Dockerfile change"');
        expect(changes(expectOk(await stack.up()))).toEqual(ROLLOUT);
    });

    it("a change to the program's code alone changes nothing", async () => {
        touch(stack.dir, "components/k8s/web.ts", "// a comment");
        expect(changes(expectOk(await stack.up()))).toEqual([]);
    });

    it("the same commit from another checkout changes nothing", async () => {
        const other = copyProject(stack.dir);
        try {
            expect(changes(expectOk(await stack.at(other).up("--expect-no-changes")))).toEqual([]);
        } finally {
            removeProject(other);
        }
    });

    it("the policy pack runs on the deployed stack through the real CLI and finds nothing mandatory", async () => {
        const r = await stack.previewWithPolicies();
        expect(errors(r)).not.toMatch(/mandatory/);
        expectOk(r);
        expect(r.stdout).toMatch(/Policies:[\s\S]*actors/);
    });
});

/**
 * Every object of the app's namespace, as kind/name, uid and generation: a delete (a new uid) or a change of spec (a new
 * generation) shows. (Not resourceVersion: the controllers write status all the time.)
 */
const objects = async () => {
    const lists = [
        "/api/v1/namespaces/actors/services",
        "/api/v1/namespaces/actors/secrets",
        "/api/v1/namespaces/actors/serviceaccounts",
        "/apis/apps/v1/namespaces/actors/deployments",
        "/apis/batch/v1/namespaces/actors/jobs",
        "/apis/policy/v1/namespaces/actors/poddisruptionbudgets",
        "/apis/networking.k8s.io/v1/namespaces/actors/networkpolicies",
        "/apis/autoscaling/v2/namespaces/actors/horizontalpodautoscalers",
        `/apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters`,
    ];
    const items = (await Promise.all(lists.map((l) => get(l)))).flatMap((l: any) => l?.items ?? []);
    return items.map((o: any) => `${o.metadata.name} ${o.metadata.uid} ${o.metadata.generation ?? "-"}`).sort();
};

describe("the protected database", () => {
    it("refuses `pulumi destroy`, and nothing is deleted or written", async () => {
        const before = await objects();
        const resources = (await stack.resources()).map((x) => x.urn).sort();
        const r = await stack.destroy();
        expect(r.ok).toBe(false);
        expect(errors(r)).toMatch(/destroy refused: the database is protected/);
        expect(await get(`/apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters/${CLUSTER}`)).toBeDefined();
        expect(await get(`/apis/apps/v1/namespaces/${NS}/deployments/actors-web`)).toBeDefined();
        expect(await objects()).toEqual(before);
        expect((await stack.resources()).map((x) => x.urn).sort()).toEqual(resources);
        expect(changes(expectOk(await stack.preview("--expect-no-changes")))).toEqual([]);
    });

    it.each([
        ["actors:namespace", "actors-moved"],
        ["actors:dbClusterName", "actors-db-2"],
    ])(
        "refuses %s = %s (another database) in preview and up, naming it; nothing in the cluster changes, and the next run plans nothing",
        async (key, value) => {
            const before = await objects();
            const { copy, done } = await fork();
            try {
                await copy.setConfig({ [key]: value });
                for (const r of [await copy.preview(), await copy.up()]) {
                    expect(r.ok).toBe(false);
                    expect(errors(r)).toContain(`refused: ${key} "`);
                    expect(errors(r)).toContain(`-> "${value}" would put another database in place of the running one`);
                    expect(changes(r)).toEqual([]);
                }
                expect(await get(`/api/v1/namespaces/actors-moved`)).toBeUndefined();
                expect(await get(`/api/v1/namespaces/${NS}/secrets/actors-db-2-app`)).toBeUndefined();
                expect(await objects()).toEqual(before);
                // No replacement or deletion was left pending for a later run to carry out.
                await copy.removeConfig(key);
                expect(changes(expectOk(await copy.preview("--expect-no-changes")))).toEqual([]);
            } finally {
                done();
            }
        },
    );
});

describe("the target cluster", () => {
    const previewErrors = async (s: PulumiStack) => {
        const r = await s.preview();
        expect(r.ok).toBe(false);
        return [...new Set(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message.trim()))];
    };

    it("a kubeContext that is not in the kubeconfig fails preview with one line naming the setting", async () => {
        const { copy, done } = await fork();
        try {
            await copy.setConfig({ "actors:kubeContext": "production" });
            expect(await previewErrors(copy)).toEqual([
                `actors:kubeContext is "production", which is not a context in the kubeconfig (${world.cp.kubeconfig}): set it to one of "actors-test", or leave it empty for the current context`,
            ]);
        } finally {
            done();
        }
    });

    it("an API server that does not answer fails preview with one line naming the setting", async () => {
        const dead = path.join(world.work, "dead-kubeconfig");
        const port = new URL(world.cp.server).port;
        fs.writeFileSync(
            dead,
            fs.readFileSync(world.cp.kubeconfig, "utf8").replace(`127.0.0.1:${port}`, "127.0.0.1:1"),
        );
        // A stack that never deployed, on a kubeconfig whose server does not answer.
        const elsewhere = await stack.sibling({ KUBECONFIG: dead });
        const done = () => elsewhere.dispose({ checkout: true });
        try {
            expect(await previewErrors(elsewhere)).toEqual([
                `actors:kubeContext "actors-test": its API server https://127.0.0.1:1 is unreachable (ECONNREFUSED): start the cluster, or set actors:kubeContext to a reachable one`,
            ]);
        } finally {
            done();
        }
    });
});

describe("destroy, on purpose", () => {
    it("removes everything once protectDatabase is off", async () => {
        await stack.setConfig({ "actors:protectDatabase": "false" });
        expect(changes(expectOk(await stack.up()))).toEqual([
            "update Resource::database-guard",
            "update Resource::destroy-guard",
        ]);
        const r = expectOk(await stack.destroy());
        expect(opsOn(r, "delete")).toEqual(expect.arrayContaining(["delete Deployment::k8s-web-deployment"]));
        expect(await stack.resources()).toEqual([]);
        expect(await get(`/apis/apps/v1/namespaces/${NS}/deployments/actors-web`)).toBeUndefined();
    });
});
