import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMAGE_PLATFORM, registryServer } from "../../components/appImage";
import { contextHash } from "../../components/contextHash";
import { evaluateWithMocks, testValues } from "../support/planMocks";
import { ROOT, runProgram, SENTINEL, stackConfig } from "../support/helpers";

function copyApp(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-context-"));
    fs.cpSync(path.join(ROOT, "app"), dir, { recursive: true });
    return dir;
}

describe("content tag", () => {
    let dir: string;
    beforeEach(() => (dir = copyApp()));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is stable for the same files", () => {
        expect(contextHash(dir)).toBe(contextHash(path.join(ROOT, "app")));
        expect(contextHash(dir)).toMatch(/^[0-9a-f]{64}$/);
    });

    it("changes when any app file changes, or its executable bit", () => {
        const before = contextHash(dir);
        fs.appendFileSync(path.join(dir, "actors", "views.py"), "\n# one line\n");
        const afterEdit = contextHash(dir);
        expect(afterEdit).not.toBe(before);
        fs.chmodSync(path.join(dir, "gunicorn.conf.py"), 0o755);
        expect(contextHash(dir)).not.toBe(afterEdit);
        fs.writeFileSync(path.join(dir, "migrations", "0003_more.sql"), "SELECT 1;");
        expect(contextHash(dir)).not.toBe(afterEdit);
    });

    it("changes with the Dockerfile and .dockerignore, though .dockerignore keeps them out of COPY", () => {
        expect(fs.readFileSync(path.join(dir, ".dockerignore"), "utf8")).toMatch(/^Dockerfile$/m);
        const before = contextHash(dir);
        fs.appendFileSync(path.join(dir, "Dockerfile"), "\nLABEL changed=yes\n");
        const afterDockerfile = contextHash(dir);
        expect(afterDockerfile).not.toBe(before);
        fs.appendFileSync(path.join(dir, ".dockerignore"), "\nnotes/\n");
        expect(contextHash(dir)).not.toBe(afterDockerfile);
    });

    it("changes with the build arguments, the platform and the Dockerfile used", () => {
        const base = { platform: IMAGE_PLATFORM };
        const plain = contextHash(dir, base);
        expect(contextHash(dir, { ...base, args: { BASE_IMAGE: "localhost/trixie-base" } })).not.toBe(plain);
        expect(contextHash(dir, { ...base, args: { BASE_IMAGE: "debian:trixie-slim" } })).not.toBe(
            contextHash(dir, { ...base, args: { BASE_IMAGE: "localhost/trixie-base" } }),
        );
        expect(contextHash(dir, { platform: "linux/arm64" })).not.toBe(plain);
        fs.copyFileSync(path.join(dir, "Dockerfile"), path.join(dir, "Dockerfile.other"));
        const withOther = contextHash(dir, base);
        fs.appendFileSync(path.join(dir, "Dockerfile.other"), "\nLABEL other=yes\n");
        expect(contextHash(dir, { ...base, dockerfile: "Dockerfile.other" })).not.toBe(withOther);
    });

    it("ignores what .dockerignore keeps out of the build", () => {
        const before = contextHash(dir);
        fs.mkdirSync(path.join(dir, "actors", "__pycache__"), { recursive: true });
        fs.writeFileSync(path.join(dir, "actors", "__pycache__", "views.cpython-313.pyc"), "bytecode");
        fs.writeFileSync(path.join(dir, "container_tests", "test_new.py"), "def test(): pass\n");
        fs.writeFileSync(path.join(dir, "NOTES.md"), "notes");
        expect(contextHash(dir)).toBe(before);
    });
});

describe("the image's inputs", () => {
    const heroku = { ...stackConfig("heroku"), "actors:herokuApiKey": `${SENTINEL}-api-key` };

    it("are relative to the project directory: another checkout of the same commit rebuilds nothing", async () => {
        const run = await runProgram(heroku, { secretKeys: ["actors:herokuApiKey"] });
        const image = run.one("docker:index/image:Image").inputs;
        expect(image.build).toMatchObject({ context: "app", dockerfile: "app/Dockerfile", platform: IMAGE_PLATFORM });
        expect(JSON.stringify(image)).not.toContain(ROOT);
    });

    it("a Dockerfile-only change gives a new tag (what the Heroku release and the Kubernetes rollout follow)", async () => {
        const dir = copyApp();
        try {
            const before = await imageNameOf(dir);
            expect(await imageNameOf(dir)).toBe(before); // unchanged inputs: the same tag, nothing rolls
            fs.appendFileSync(path.join(dir, "Dockerfile"), "\n# a Dockerfile-only change\n");
            const after = await imageNameOf(dir);
            expect(after).not.toBe(before);
            expect(await imageNameOf(dir, "localhost/trixie-base")).not.toBe(after); // a build arg
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

/** The docker.Image name:tag AppImage declares for a context, under Pulumi's mocks. */
async function imageNameOf(context: string, baseImage?: string): Promise<string> {
    let images: { inputs: any }[] = [];
    await jest.isolateModulesAsync(async () => {
        const { resources } = await evaluateWithMocks({
            stack: "test",
            config: {},
            values: testValues(SENTINEL),
            program: async () => {
                const { AppImage } = await import("../../components/appImage");
                new AppImage("app", { context, baseImage });
                return {};
            },
        });
        images = resources.filter((r) => r.type === "docker:index/image:Image");
    });
    expect(images).toHaveLength(1);
    return images[0].inputs.imageName;
}

describe("registryServer", () => {
    it.each([
        ["ghcr.io/acme/actors", "ghcr.io"],
        ["localhost:5001/actors", "localhost:5001"],
        ["acme/actors", "docker.io"],
        ["registry.example.com:5000/team/actors", "registry.example.com:5000"],
    ])("%s -> %s", (repo, server) => expect(registryServer(repo)).toBe(server));
});
