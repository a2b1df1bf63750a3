/**
 * A real container registry on loopback for the tests (Debian's docker-registry: the CNCF distribution registry),
 * standing for the registries the program pushes to (a cluster's registry, Heroku's registry.heroku.com), and the
 * image cache the docker stand-in plugin builds from.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMAGE_PLATFORM } from "../../components/appImage";
import { podman, podmanBuildArgs, podmanEnv } from "./plugins/podman";
import { freePort } from "../../cli/moveData/scratchServer";

export const DOCKER_MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

export interface Registry {
    /** 127.0.0.1:<port>: push to `${host}/<repository>:<tag>`. */
    host: string;
    /** Environment podman needs to push there over plain HTTP (CONTAINERS_REGISTRIES_CONF marks it insecure). */
    env: Record<string, string>;
    /** The manifest stored under repository:tag (or a digest), as a client with the credentials reads it. */
    manifest(repository: string, reference: string): Promise<{ digest: string; mediaType: string; body: any }>;
    stop(): Promise<void>;
}

/** Starts a registry on 127.0.0.1:<free port>; with auth, it requires those credentials (htpasswd, bcrypt). */
export async function startRegistry(opts: { auth?: { username: string; password: string } } = {}): Promise<Registry> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-"));
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    let auth = "";
    if (opts.auth) {
        // The password goes to htpasswd on stdin, never on a command line.
        const r = spawnSync("htpasswd", ["-iBc", path.join(dir, "htpasswd"), opts.auth.username], {
            input: opts.auth.password,
            encoding: "utf8",
        });
        if (r.error || r.status !== 0)
            throw new Error(`htpasswd (Debian's apache2-utils) failed: ${r.error?.message ?? r.stderr}`);
        auth = `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${path.join(dir, "htpasswd")}\n`;
    }
    fs.writeFileSync(
        path.join(dir, "config.yml"),
        `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, "data")}\n` +
            `  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n${auth}`,
    );
    const registriesConf = path.join(dir, "registries.conf");
    fs.writeFileSync(registriesConf, `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
    const log = fs.openSync(path.join(dir, "registry.log"), "a");
    const child: ChildProcess = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], {
        stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const authHeader: Record<string, string> = opts.auth
        ? {
              Authorization: `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString("base64")}`,
          }
        : {};

    const stop = async () => {
        if (child.exitCode === null) {
            child.kill("SIGTERM");
            await exited;
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        for (let i = 0; ; i++) {
            if (child.exitCode !== null)
                throw new Error(`docker-registry exited: ${fs.readFileSync(path.join(dir, "registry.log"), "utf8")}`);
            const ok = await fetch(`http://${host}/v2/`).then(
                (r) => r.status === 200 || r.status === 401,
                () => false,
            );
            if (ok) break;
            if (i > 100) throw new Error(`docker-registry did not answer on ${host} within 10 s`);
            await new Promise((r) => setTimeout(r, 100));
        }
    } catch (err) {
        await stop();
        throw err;
    }
    return {
        host,
        env: { CONTAINERS_REGISTRIES_CONF: registriesConf },
        async manifest(repository, reference) {
            const res = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, {
                headers: { Accept: `${DOCKER_MANIFEST_V2}, ${OCI_MANIFEST}`, ...authHeader },
            });
            if (!res.ok) throw new Error(`GET manifest ${repository}:${reference} from ${host}: HTTP ${res.status}`);
            return {
                digest: res.headers.get("docker-content-digest") ?? "",
                mediaType: res.headers.get("content-type") ?? "",
                body: await res.json(),
            };
        },
        stop,
    };
}

/** The image the Dockerfile names as its base; no registry can be reached here, so a local image stands in for it. */
const APP_BASE_IMAGE = "docker.io/library/debian:trixie-slim";
const LOCAL_BASE_IMAGE = process.env.ACTORS_BASE_IMAGE ?? "localhost/trixie-base";

/**
 * Builds app/ once the way the program's image is built (components/appImage.ts: linux/amd64, the classic builder,
 * no build arguments; pass the build's target if the program sets one), so that every later build of it only adds
 * the layers that changed. The classic builder builds every stage up to the target, so a stage that follows the
 * app's code (app/Dockerfile's `test` stage, with its own `RUN apt-get`) is rebuilt after a code change: inside a
 * network namespace that fails (docs/testing.md, "Stand-ins"). Run it OUTSIDE a network
 * namespace: a build inside one (loopback only) succeeds only where the `RUN apt-get` layers are cached already.
 * The Dockerfile's base (debian:trixie-slim) cannot be pulled here: the local trixie base image is tagged under its
 * name (a stand-in for the base image, docs/testing.md).
 */
export async function warmImageCache(opts: { context?: string; target?: string } = {}): Promise<void> {
    const context = opts.context ?? path.resolve(__dirname, "../../app");
    if (spawnSync("podman", ["image", "exists", APP_BASE_IMAGE], { env: podmanEnv() }).status !== 0)
        await podman(["tag", LOCAL_BASE_IMAGE, APP_BASE_IMAGE], { what: `tagging ${LOCAL_BASE_IMAGE}` });
    await podman(
        podmanBuildArgs({
            context,
            dockerfile: path.join(context, "Dockerfile"),
            tag: "localhost/actors-image-cache:warm",
            platform: IMAGE_PLATFORM,
            builderVersion: "BuilderV1",
            target: opts.target,
        }),
        { what: "warming the image cache (podman build of app/)" },
    );
}
