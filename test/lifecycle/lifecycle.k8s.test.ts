/**
 * The k8s stack's lifecycle, run as Pulumi runs it (test/engine): the program through @pulumi/pulumi's cmd/run; the
 * kubernetes, docker and random resources answered by the harness (outputs kept across runs, Kubernetes objects
 * validated against the schemas in Check). One state, a sequence of `up`s on a checkout of the project.
 */
import * as fs from "fs";
import * as path from "path";
import { testValues } from "../support/planMocks";
import { binaryProviders } from "../support/engine/binaryProviders";
import { Engine, messages, ProgramSpec, StackState } from "../support/engine/engine";
import { copyProject, removeProject, stackSpec, touch } from "../support/engine/fixture";
import { changes, errors, expectOk, plainSecretsIn } from "../support/engine/lifecycle";
import { SENTINEL } from "../support/helpers";

/** What a new image rolls out on Kubernetes: the image, the Deployment, and a new migration Job. */
export const ROLLOUT = [
    "replace Job::k8s-web-migrate",
    "update Deployment::k8s-web-deployment",
    "update Image::app",
].sort();

let engine: Engine;
let dir: string;
const state = new StackState();
const binary = binaryProviders(testValues(SENTINEL));
const spec = (at = dir, config: Record<string, string> = {}): ProgramSpec => stackSpec(at, "k8s", { config });
const up = (s: StackState, p: ProgramSpec = spec()) => engine.up(s, p, { binary });

beforeAll(async () => {
    engine = await Engine.start();
    dir = copyProject();
});
afterAll(async () => {
    await engine?.stop();
    removeProject(dir);
});

describe("the first deploy", () => {
    it("previews creates only and changes no state", async () => {
        const run = expectOk(await engine.up(state, spec(), { binary, preview: true }));
        expect(run.steps.every((s) => s.op === "create")).toBe(true);
        expect(changes(run)).toContain("create Deployment::k8s-web-deployment");
        expect(state.resources).toEqual([]);
    });

    it("creates every resource, each Kubernetes object valid, the database protected, no secret in plain text", async () => {
        const run = expectOk(await up(state));
        expect(run.steps.every((s) => s.op === "create")).toBe(true);
        expect(state.resources.filter((r) => r.protect).map((r) => r.name)).toEqual(["k8s-db-cluster"]);
        expect(run.outputs.namespace).toBe("actors");
        expect(String(run.outputs.image)).toMatch(/^localhost:5001\/actors@sha256:[0-9a-f]{64}$/);
        // The generated database password is in state and in the app's Secret: only ever encrypted.
        expect(JSON.stringify(state.resources)).toContain(SENTINEL);
        expect(plainSecretsIn(run, state, [SENTINEL])).toEqual([]);
    });

    it("an unchanged re-run does nothing at all", async () => {
        const run = expectOk(await up(state));
        expect(run.steps.filter((s) => s.op !== "same")).toEqual([]);
    });
});

describe("what rolls out", () => {
    it("an app code change rolls out once: the image, the Deployment, a new migration Job", async () => {
        touch(dir, "app/actors/__init__.py", "# harness: an app change");
        const planned = expectOk(await engine.up(state, spec(), { binary, preview: true }));
        expect(changes(planned)).toEqual(ROLLOUT);
        const run = expectOk(await up(state));
        expect(changes(run)).toEqual(ROLLOUT);
        // The Job is replaced delete-first (it is immutable and its name is the image's).
        expect(run.steps.find((s) => s.op === "replace")).toMatchObject({ deleteBeforeReplace: true });
    });

    it("a Dockerfile change rolls out once too", async () => {
        touch(dir, "app/Dockerfile", "# harness: a Dockerfile change");
        expect(changes(expectOk(await up(state)))).toEqual(ROLLOUT);
    });

    it("a change to the program's code alone changes nothing", async () => {
        touch(dir, "components/k8s/web.ts", "// harness: a comment");
        expect(changes(expectOk(await up(state)))).toEqual([]);
    });

    it("the same commit from another checkout changes nothing", async () => {
        const other = copyProject();
        try {
            for (const f of ["app/actors/__init__.py", "app/Dockerfile", "components/k8s/web.ts"])
                fs.copyFileSync(path.join(dir, f), path.join(other, f));
            // On a copy of the state: what happens here must not leak into the tests after it.
            expect(changes(expectOk(await up(state.clone(), spec(other))))).toEqual([]);
        } finally {
            removeProject(other);
        }
    });
});

describe("destroy", () => {
    it("is refused while protectDatabase is on", async () => {
        const trial = state.clone();
        const run = await engine.destroy(trial, spec(), { binary });
        expect(run.ok).toBe(false);
        const cluster = state.resources.find((r) => r.name === "k8s-db-cluster")!;
        expect(errors(run)).toContain(messages.deleteProtected(cluster.urn));
        expect(trial.get(cluster.urn)).toBeDefined();
    });

    it("removes everything once protectDatabase is off", async () => {
        const open = spec(dir, { "actors:protectDatabase": "false" });
        const unprotect = expectOk(await up(state, open));
        expect(changes(unprotect)).toEqual([]);
        expectOk(await engine.destroy(state, open, { binary }));
        expect(state.resources).toEqual([]);
    });
});
