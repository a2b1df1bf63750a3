/**
 * What a deployment needs around the engine: a checkout of the project to change files in (the repository itself is
 * never modified), the stack's config as the CLI passes it, and a stand-in `docker` CLI that records pushes.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo, createServer } from "net";
import * as os from "os";
import * as path from "path";
import { pulumiConfig } from "../../../cli/stackFile";
import { ProgramSpec } from "./engine";

const ROOT = path.resolve(__dirname, "..", "..", "..");
/** What `pulumi up` needs of the project: the program, its components, the app (the image's context), settings. */
const PROJECT_FILES = ["index.ts", "components", "provider", "app", "Pulumi.yaml", "package.json", "tsconfig.json"];

/** A copy of the project's working tree in a temporary directory, sharing node_modules (a symlink). */
export function copyProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-checkout-"));
    for (const entry of [...PROJECT_FILES, ...fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f))])
        fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), {
            recursive: true,
            filter: (src) => !/(__pycache__|\.pytest_cache)$/.test(src),
        });
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(dir, "node_modules"));
    return dir;
}

export function removeProject(dir: string): void {
    if (dir.startsWith(os.tmpdir())) fs.rmSync(dir, { recursive: true, force: true });
}

/** Appends a line to a file of a checkout. */
export function touch(dir: string, file: string, line: string): void {
    fs.appendFileSync(path.join(dir, file), `${line}\n`);
}

/** The spec of a stack of a checkout: the stack file with the project's defaults, plus overrides. */
export function stackSpec(
    dir: string,
    stack: "k8s" | "heroku",
    extra: { config?: Record<string, string>; secretKeys?: string[]; env?: NodeJS.ProcessEnv } = {},
): ProgramSpec {
    const { project, config, secretKeys } = pulumiConfig(stack, { root: dir });
    return {
        dir,
        project,
        stack,
        config: { ...config, ...extra.config },
        secretKeys: [...new Set([...secretKeys, ...(extra.secretKeys ?? [])])],
        env: stack === "k8s" ? { KUBECONFIG: answeringKubeconfig(), ...extra.env } : extra.env,
    };
}

/**
 * The program checks its kubeconfig context and that the API server answers before it declares anything
 * (components/k8s/kubeconfig.ts). Here the harness answers every Kubernetes resource itself, so the "cluster" is a
 * loopback port that accepts connections (listening from when this module loads), under the contexts the tests use
 * (actors-test, current; production).
 */
const answering = createServer((socket) => socket.destroy()).listen(0, "127.0.0.1");
answering.unref();
let kubeconfig: string | undefined;
function answeringKubeconfig(): string {
    if (kubeconfig) return kubeconfig;
    const address = answering.address() as AddressInfo | null;
    if (!address) throw new Error("the answering kubeconfig's port is not listening yet: call stackSpec in a test");
    const contexts = ["actors-test", "production"];
    kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "actors-kubeconfig-")), "config");
    fs.writeFileSync(
        kubeconfig,
        JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            "current-context": contexts[0],
            clusters: [{ name: "answering", cluster: { server: `https://127.0.0.1:${address.port}` } }],
            contexts: contexts.map((name) => ({ name, context: { cluster: "answering", user: "none" } })),
            users: [{ name: "none", user: {} }],
        }),
    );
    return kubeconfig;
}

export interface Push {
    /** registry/app/processType */
    target: string;
    /** The local image that was tagged as the target. */
    source: string;
}

/**
 * A `docker` executable for the Heroku release (named by DOCKER_CLI): `tag` is remembered, `push` checks the login
 * the release wrote to its DOCKER_CONFIG and hands the push to `onPush` (which puts a manifest in the emulated
 * registry). Credentials are checked, never recorded.
 */
export async function startDockerStandIn(opts: {
    expectedAuth: () => string;
    onPush: (push: Push, configDigest: string) => void;
}): Promise<{ env: NodeJS.ProcessEnv; pushes: Push[]; stop: () => Promise<void> }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-docker-"));
    const pushes: Push[] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
            const { target, source, auth } = JSON.parse(body);
            if (auth !== opts.expectedAuth()) {
                res.writeHead(401).end("unauthorized: authentication required");
                return;
            }
            const push = { target, source };
            pushes.push(push);
            opts.onPush(push, `sha256:${crypto.createHash("sha256").update(source).digest("hex")}`);
            res.writeHead(200).end("pushed");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cli = path.join(dir, "docker");
    fs.writeFileSync(
        cli,
        `#!${process.execPath}
// Stand-in for the docker CLI (test/engine/fixture.ts): tag and push only.
const fs = require("fs"), path = require("path");
const [command, ...args] = process.argv.slice(2);
const tags = path.join(${JSON.stringify(dir)}, "tags.json");
const known = fs.existsSync(tags) ? JSON.parse(fs.readFileSync(tags, "utf8")) : {};
if (command === "tag") {
    known[args[1]] = args[0];
    fs.writeFileSync(tags, JSON.stringify(known));
} else if (command === "push") {
    const target = args[0];
    const config = JSON.parse(fs.readFileSync(path.join(process.env.DOCKER_CONFIG || "", "config.json"), "utf8"));
    const auth = (config.auths[target.split("/")[0]] || {}).auth;
    if (!known[target]) { console.error("An image does not exist locally with the tag: " + target); process.exit(1); }
    fetch(${JSON.stringify(url)}, { method: "POST", body: JSON.stringify({ target, source: known[target], auth }) })
        .then(async (r) => { const text = await r.text(); if (!r.ok) { console.error(text); process.exit(1); } console.log(text); });
} else {
    console.error("docker stand-in: unsupported command " + command);
    process.exit(1);
}
`,
        { mode: 0o755 },
    );
    return {
        env: { DOCKER_CLI: cli },
        pushes,
        stop: async () => {
            server.closeAllConnections();
            await new Promise((resolve) => server.close(resolve));
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
