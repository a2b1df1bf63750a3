/**
 * The one podman build command line, used by the docker stand-in plugin (an image build of `docker.Image`) and by
 * warmImageCache (test/support/registry.ts): the same flags give the same layer cache keys, so a build warmed outside a
 * network namespace is reused inside one.
 */
import { spawn } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../../..");

/** podman's environment: the project's settings (.ci/containers.conf, .ci/storage.conf) unless the caller set others. */
export function podmanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    return {
        ...env,
        CONTAINERS_CONF: env.CONTAINERS_CONF ?? path.join(ROOT, ".ci/containers.conf"),
        CONTAINERS_STORAGE_CONF: env.CONTAINERS_STORAGE_CONF ?? path.join(ROOT, ".ci/storage.conf"),
    };
}

export interface ImageBuild {
    /** The build context directory. */
    context: string;
    /** The Dockerfile (any path). */
    dockerfile: string;
    tag: string;
    platform?: string;
    args?: Record<string, string>;
    target?: string;
    /** "BuilderV1" (Docker's classic builder) or "BuilderBuildKit" (the default). */
    builderVersion?: string;
    network?: string;
    addHosts?: string[];
    /** Where podman writes the built image's ID. */
    iidfile?: string;
}

/**
 * `podman build` arguments for an image build as Docker would do it: a Docker-format image (a v2 schema 2 manifest
 * when pushed), the layer cache on. Docker's classic builder (BuilderV1) builds every stage of a multi-stage
 * Dockerfile up to the target, BuildKit only those the target needs: podman's --skip-unused-stages does the same.
 */
export function podmanBuildArgs(b: ImageBuild): string[] {
    const args = ["build", "--layers", "--format", "docker", "-f", path.resolve(b.dockerfile), "-t", b.tag];
    args.push(`--skip-unused-stages=${b.builderVersion === "BuilderV1" ? "false" : "true"}`);
    if (b.platform) args.push("--platform", b.platform);
    for (const [k, v] of Object.entries(b.args ?? {})) args.push("--build-arg", `${k}=${v}`);
    if (b.target) args.push("--target", b.target);
    // The host's network unless the build asks for another: in the tests' loopback-only namespace a private network
    // would add a bridge (cni-podman0) to it, which the control plane's isolation check then refuses.
    args.push("--network", b.network ?? "host");
    for (const host of b.addHosts ?? []) args.push("--add-host", host);
    if (b.iidfile) args.push("--iidfile", b.iidfile);
    args.push(b.context);
    return args;
}

/** Runs podman; resolves to its standard output, rejects with the end of its output when it fails. */
export function podman(args: string[], opts: { env?: NodeJS.ProcessEnv; what: string }): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("podman", args, { env: podmanEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let output = "";
        child.stdout.on("data", (d) => ((stdout += d), (output += d)));
        child.stderr.on("data", (d) => (output += d));
        child.on("error", (err) => reject(new Error(`${opts.what}: cannot run podman: ${err.message}`)));
        child.on("close", (code) => {
            if (code === 0) return resolve(stdout);
            const tail = output.trim().split("\n").slice(-25).join("\n");
            reject(new Error(`${opts.what} failed (podman ${args[0]} exited ${code}):\n${tail}`));
        });
    });
}
