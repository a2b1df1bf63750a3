/**
 * The stand-in provider plugins (test/support/plugins: docker and random, whose Go modules cannot be had here),
 * driven through the real Pulumi CLI with a small inline program of their own: what the engine sees of them is what
 * the lifecycle tests rely on. The docker stand-in really builds with podman and pushes to a real registry on
 * loopback (test/support/registry.ts).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT, SENTINEL } from "../support/helpers";
import { podman } from "../support/plugins/podman";
import { PLUGINS_BIN, policyPackExecutable } from "../support/plugins/policyPack";
import { Registry, startRegistry } from "../support/registry";

const CREDENTIALS = { username: "pusher", password: "registry-password-4f1d9c" };

let registry: Registry;
let dir: string;
let stack: Stack;
/** The first deploy's result. */
let firstUp: Awaited<ReturnType<Stack["up"]>>;

/** What the inline program declares; the tests change it between runs. */
const program = {
    imageTag: "v1",
    registryPassword: CREDENTIALS.password,
    dockerfile: "ctx/Dockerfile",
    stringLength: 8 as number,
    /** What the program saw of the image's repoDigest in its last run. */
    digestKnown: undefined as boolean | undefined,
};

async function inlineProgram() {
    const image = new docker.Image("img", {
        imageName: `${registry.host}/plugins-test:${program.imageTag}`,
        build: { context: "ctx", dockerfile: program.dockerfile, platform: "linux/amd64", builderVersion: "BuilderV1" },
        registry: {
            server: registry.host,
            username: CREDENTIALS.username,
            password: pulumi.secret(program.registryPassword),
        },
    });
    program.digestKnown = await (image.repoDigest as any).isKnown;
    const name = new random.RandomString("name", { length: program.stringLength, special: false, upper: false });
    const password = new random.RandomPassword("password", { length: 32, special: false });
    return { repoDigest: image.repoDigest, name: name.result, password: password.result, hash: password.bcryptHash };
}

beforeAll(async () => {
    registry = await startRegistry({ auth: CREDENTIALS });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plugins-test-"));
    // The project folder is the CLI's workDir: the engine starts plugins there, and they resolve @pulumi/* from it.
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: plugins-test\nruntime: nodejs\n");
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, "ctx"));
    fs.mkdirSync(path.join(dir, "state"));
    // A small image from the local base image: no RUN, so it builds without any network.
    fs.writeFileSync(path.join(dir, "ctx/Dockerfile"), "FROM localhost/trixie-base\nCOPY hello.txt /hello.txt\n");
    fs.writeFileSync(path.join(dir, "ctx/hello.txt"), "hello\n");
    fs.writeFileSync(path.join(dir, "ctx/.dockerignore"), "ignored.txt\n");
    fs.writeFileSync(path.join(dir, "ctx/ignored.txt"), "not part of the image\n");
    stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "test", projectName: "plugins-test", program: inlineProgram },
        {
            workDir: dir,
            pulumiHome: path.join(dir, "home"),
            pulumiCommand: await PulumiCommand.get({ root: path.join(ROOT, ".tools") }),
            envVars: {
                PATH: `${PLUGINS_BIN}:${path.dirname(process.execPath)}:${process.env.PATH}`,
                PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
                PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
                PULUMI_SKIP_UPDATE_CHECK: "1",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
                ACTORS_RANDOM_SENTINEL: SENTINEL,
                ...registry.env,
            },
        },
    );
}, 120_000);

afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    // The real provider leaves built images in the local store; these are the test's own.
    if (registry)
        await podman(["rmi", "--ignore", `${registry.host}/plugins-test:v1`], { what: "removing the test image" });
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The state as the file backend stores it. */
function storedState(): string {
    const file = path.join(dir, "state/.pulumi/stacks/plugins-test/test.json");
    return fs.readFileSync(file, "utf8");
}

/** The steps a run planned, as "op name" for every resource that is not unchanged. */
function changed(summary: Record<string, number> | undefined): Record<string, number> {
    return Object.fromEntries(Object.entries(summary ?? {}).filter(([op]) => op !== "same"));
}

describe("the docker stand-in through the real CLI", () => {
    it("previews a create with repoDigest unknown, building nothing", async () => {
        const preview = await stack.preview();
        expect(changed(preview.changeSummary)).toEqual({ create: 4 });
        expect(program.digestKnown).toBe(false);
        await expect(registry.manifest("plugins-test", "v1")).rejects.toThrow(/HTTP 404/);
    });

    it("builds and pushes on up: repoDigest is the digest of the manifest the registry holds", async () => {
        const up = (firstUp = await stack.up());
        expect(up.summary.result).toBe("succeeded");
        const digest = String(up.outputs.repoDigest.value);
        const pushed = await registry.manifest("plugins-test", "v1");
        expect(digest).toBe(`${registry.host}/plugins-test@${pushed.digest}`);
        // The classic builder's manifest type, which Heroku's registry requires.
        expect(pushed.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    });

    it("keeps the registry password and the generated password out of state and logs in plain text", async () => {
        const up = firstUp;
        // `stack export --show-secrets` (the Automation API's exportStack) reveals them: the search finds them there.
        const revealed = JSON.stringify(await stack.exportStack());
        expect(revealed).toContain(CREDENTIALS.password);
        expect(revealed).toContain(SENTINEL);
        for (const text of [storedState(), up.stdout, up.stderr]) {
            expect(text).not.toContain(CREDENTIALS.password);
            expect(text).not.toContain(SENTINEL);
        }
        expect(up.outputs.password).toMatchObject({ secret: true });
        expect(String(up.outputs.password.value).startsWith(SENTINEL)).toBe(true);
        expect(up.outputs.hash).toMatchObject({ secret: true });
        expect(String(up.outputs.hash.value)).toMatch(/^\$2a\$10\$/);
    });

    it("an unchanged re-run changes nothing (a file .dockerignore leaves out does not count)", async () => {
        fs.writeFileSync(path.join(dir, "ctx/ignored.txt"), "still not part of the image\n");
        const before = (await stack.outputs()).repoDigest.value;
        const up = await stack.up();
        expect(changed(up.summary.resourceChanges)).toEqual({});
        expect(up.outputs.repoDigest.value).toBe(before);
    });

    it("refresh finds nothing changed, and the next preview plans nothing", async () => {
        const refresh = await stack.refresh();
        expect(changed(refresh.summary.resourceChanges)).toEqual({});
        const preview = await stack.preview();
        expect(changed(preview.changeSummary)).toEqual({});
    });

    it("a change to the build context is an update: unknown digest in preview, then a new image pushed", async () => {
        const before = String((await stack.outputs()).repoDigest.value);
        fs.writeFileSync(path.join(dir, "ctx/hello.txt"), "hello again\n");
        const preview = await stack.preview();
        expect(changed(preview.changeSummary)).toEqual({ update: 1 });
        expect(program.digestKnown).toBe(false);
        const up = await stack.up();
        expect(changed(up.summary.resourceChanges)).toEqual({ update: 1 });
        const after = String(up.outputs.repoDigest.value);
        expect(after).not.toBe(before);
        expect(after).toBe(`${registry.host}/plugins-test@${(await registry.manifest("plugins-test", "v1")).digest}`);
    });

    it("a new registry password alone changes nothing (the real provider diffs the server only)", async () => {
        program.registryPassword = "rotated-password";
        try {
            const preview = await stack.preview();
            expect(changed(preview.changeSummary)).toEqual({});
        } finally {
            program.registryPassword = CREDENTIALS.password;
        }
    });

    it("a Dockerfile that does not exist fails the preview with the real provider's message", async () => {
        program.dockerfile = "Dockerfile";
        try {
            await expect(stack.preview()).rejects.toThrow(
                /could not open dockerfile at relative path "Dockerfile"\. Try setting `dockerfile` to "ctx\/Dockerfile"/,
            );
        } finally {
            program.dockerfile = "ctx/Dockerfile";
        }
    });
});

describe("the random stand-in through the real CLI", () => {
    it("replaces a RandomString when its length changes, and only it", async () => {
        const before = (await stack.outputs()).name.value;
        program.stringLength = 12;
        const preview = await stack.preview();
        expect(changed(preview.changeSummary)).toEqual({ replace: 1 });
        const up = await stack.up();
        expect(changed(up.summary.resourceChanges)).toEqual({ replace: 1 });
        expect(up.outputs.name.value).toMatch(/^[a-z0-9]{12}$/);
        expect(up.outputs.name.value).not.toBe(before);
    });

    it("refuses a length below 1 at Check, naming the input and the value", async () => {
        program.stringLength = 0;
        try {
            await expect(stack.preview()).rejects.toThrow(/length.*must be at least 1, got: 0/);
        } finally {
            program.stringLength = 12;
        }
    });
});

describe("the policy analyzer plugin", () => {
    it("runs the project's policy pack through the real CLI, as pulumi-analyzer-policy starts it", async () => {
        const pack = policyPackExecutable(path.join(ROOT, "policy"), dir);
        const preview = await stack.preview({ policyPacks: [pack] });
        expect(preview.stdout).toMatch(/Policies:[\s\S]*actors/);
    });
});
