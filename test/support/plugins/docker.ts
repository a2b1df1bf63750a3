/**
 * STAND-IN for the docker provider plugin (pulumi-resource-docker), whose Go module the Go proxy here refuses. It
 * serves `docker:index/image:Image` to the real Pulumi engine with the behaviour of pulumi-docker's own Image
 * (provider/provider.go and image.go, read to learn it; nothing copied), and does the real work with podman:
 *
 * - Check: buildOnPreview defaults to false; build defaults to context "." and Dockerfile "<context>/Dockerfile";
 *   the Dockerfile must exist (relative to the project folder, as the Docker CLI's -f); the build context's content
 *   is hashed into `build.contextDigest` (the Dockerfile under the name "Dockerfile", then every file the build can
 *   see after .dockerignore, with its path and mode); platform defaults to the host's; builderVersion is BuilderV1 or
 *   BuilderBuildKit; a pushed image needs a fully qualified name unless registry.server is set.
 * - Diff: the new inputs against the inputs kept (as a secret) in the state's `__inputs`. Any change is an update,
 *   never a replacement; a change of registry.username or registry.password alone is no change.
 * - Create/Update: `podman build`, then (unless skipPush) `podman push` to the repository of imageName, with
 *   registry.username/password when both are given (else podman's own login). repoDigest is
 *   <repository>@<digest of the manifest as pushed>; with skipPush it is the local image ID.
 * - Preview: never builds (buildOnPreview is not supported), so repoDigest is unknown in a preview of a create or
 *   an update, as with the real provider's default.
 * - Delete: nothing (the real provider leaves images in the local store and the registry).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "@pulumi/pulumi/provider";
import type { Provider } from "@pulumi/pulumi/provider";
import { podman, podmanBuildArgs } from "./podman";
import { containsUnknown, Props, resourceType, reveal, sameValue, sdkVersion, secret } from "./values";

const IMAGE_TYPE = "docker:index/image:Image";
const BUILDERS = ["BuilderV1", "BuilderBuildKit"];

const known = (v: unknown) => v !== undefined && v !== null && !containsUnknown(v);
const hostPlatform = () =>
    `linux/${({ x64: "amd64", arm64: "arm64", arm: "arm" } as any)[process.arch] ?? process.arch}`;

function checkImage(news: Props): Props {
    const inputs: Props = { ...news };
    inputs.buildOnPreview = inputs.buildOnPreview === true;
    if (inputs.buildOnPreview)
        throw new Error("buildOnPreview: true is not supported by this stand-in (images are built by up only)");

    const build: Props = inputs.build && typeof inputs.build === "object" ? { ...inputs.build } : {};
    if (inputs.build !== undefined && containsUnknown(inputs.build) && typeof inputs.build !== "object") return inputs;
    if (build.context === undefined || build.context === null) build.context = ".";
    const dockerfileKnown = !containsUnknown(build.dockerfile) && !containsUnknown(build.context);
    if (dockerfileKnown && (build.dockerfile === undefined || build.dockerfile === null))
        build.dockerfile = path.posix.join(build.context, "Dockerfile");
    if (known(build.builderVersion) && !BUILDERS.includes(build.builderVersion))
        throw new Error(
            `invalid Docker Builder version: build.builderVersion is "${build.builderVersion}"; allowed: ${BUILDERS.join(", ")}`,
        );
    if (dockerfileKnown) {
        const dockerfile = String(build.dockerfile);
        if (!fs.existsSync(dockerfile)) {
            if (path.isAbsolute(dockerfile))
                throw new Error(`expected a relative Dockerfile path; got "${dockerfile}" instead: no such file`);
            const relPath = path.join(build.context, dockerfile);
            if (fs.existsSync(relPath))
                throw new Error(
                    `could not open dockerfile at relative path "${dockerfile}". Try setting \`dockerfile\` to "${relPath}"`,
                );
            throw new Error(`could not open dockerfile at relative path "${dockerfile}": no such file or directory`);
        }
        if (!fs.statSync(build.context, { throwIfNoEntry: false })?.isDirectory())
            throw new Error(`unable to hash build context: build.context "${build.context}" is not a directory`);
        build.contextDigest = hashContext(build.context, dockerfile);
    }
    if (build.platform === undefined || build.platform === null) build.platform = hostPlatform();
    inputs.build = build;

    const registry = reveal(inputs.registry ?? {});
    const pushes = inputs.skipPush !== true;
    if (pushes && known(inputs.imageName) && !known(registry.server)) registryHost(String(inputs.imageName));
    return inputs;
}

/** The registry host a fully qualified image name names; throws, as the real provider does, for one that names none. */
function registryHost(imageName: string): string {
    const slash = imageName.indexOf("/");
    const first = slash < 0 ? "" : imageName.slice(0, slash);
    if (!first || !(/[.:]/.test(first) || first === "localhost"))
        throw new Error(
            `"${imageName}": repository name must be canonical.\nThis resource requires all image names to be fully ` +
                "qualified.\nFor example, if you are attempting to push to Dockerhub, prefix your image name with " +
                "`docker.io`:\n\n`docker.io/repository/image:tag`",
        );
    return first;
}

/** The registry host to log in to: registry.server without scheme or path, else the image name's own. */
function authServer(server: string | undefined, imageName: string): string {
    const host = server ? server.replace(/^[a-z]+:\/\//, "").split("/")[0] : registryHost(imageName);
    return ["docker.io", "index.docker.io", "registry-1.docker.io"].includes(host)
        ? "https://index.docker.io/v1/"
        : host;
}

function diffImage(olds: Props, news: Props): { changes: boolean; replaces: string[] } {
    const oldInputs: Props | undefined = olds.__inputs === undefined ? undefined : reveal(olds.__inputs);
    if (!oldInputs) return { changes: true, replaces: [] };
    const keys = new Set([...Object.keys(oldInputs), ...Object.keys(news)]);
    const changed = [...keys].filter((key) => {
        const [a, b] = [oldInputs[key], news[key]];
        if (key === "registry" && a && b && typeof a === "object" && typeof b === "object" && !containsUnknown(b))
            // Credentials change often and do not change the image: only the server counts.
            return !sameValue(reveal(a).server, reveal(b).server);
        return !sameValue(a, b);
    });
    return { changes: changed.length > 0, replaces: [] };
}

async function buildImage(inputs: Props): Promise<{ id: string; outs: Props }> {
    const plain = reveal(inputs);
    const build = plain.build ?? {};
    const imageName = String(plain.imageName);
    const context = String(build.context ?? ".");
    const dockerfile = String(build.dockerfile ?? path.join(context, "Dockerfile"));
    const registry = plain.registry ?? {};
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "docker-standin-"));
    try {
        const iidfile = path.join(tmp, "iid");
        await podman(
            podmanBuildArgs({
                context,
                dockerfile,
                tag: imageName,
                platform: build.platform,
                args: build.args,
                target: build.target,
                builderVersion: build.builderVersion,
                network: build.network,
                addHosts: build.addHosts,
                iidfile,
            }),
            { what: `error building image ${imageName}` },
        );
        const imageId = fs.readFileSync(iidfile, "utf8").trim();
        let repoDigest = imageId.startsWith("sha256:") ? imageId : `sha256:${imageId}`;
        if (plain.skipPush !== true) {
            const push = ["push", "--digestfile", path.join(tmp, "digest")];
            if (registry.username && registry.password) {
                // An auth file of its own keeps the password out of podman's command line.
                const authfile = path.join(tmp, "auth.json");
                const auth = Buffer.from(`${registry.username}:${registry.password}`).toString("base64");
                fs.writeFileSync(
                    authfile,
                    JSON.stringify({ auths: { [authServer(registry.server, imageName)]: { auth } } }),
                    {
                        mode: 0o600,
                    },
                );
                push.push("--authfile", authfile);
            }
            await podman([...push, imageName], { what: `error pushing image ${imageName}` });
            const digest = fs.readFileSync(path.join(tmp, "digest"), "utf8").trim();
            repoDigest = `${repositoryOf(imageName)}@${digest}`;
        }
        const outs: Props = {
            dockerfile: path.relative(path.resolve(context), path.resolve(dockerfile)).split(path.sep).join("/"),
            context,
            baseImageName: imageName,
            registryServer: registry.server ?? "",
            imageName,
            platform: build.platform,
            repoDigest,
            // The real provider keeps its inputs in the state, as a secret, to diff against them.
            __inputs: secret(inputs),
        };
        return { id: imageName, outs };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** The repository of an image name, without tag or digest, normalised as Docker does (docker.io/library/...). */
function repositoryOf(imageName: string): string {
    const repo = imageName.replace(/@.*$/, "").replace(/:[^:/]+$/, "");
    const first = repo.split("/")[0];
    if (repo.includes("/") && (/[.:]/.test(first) || first === "localhost")) return repo;
    return `docker.io/${repo.includes("/") ? repo : `library/${repo}`}`;
}

/**
 * The content hash the real provider keeps in build.contextDigest: the Dockerfile (always, under the name
 * "Dockerfile"), then every file of the context that .dockerignore lets through (`<Dockerfile>.dockerignore` first,
 * else `<context>/.dockerignore`), each with its path, mode and content (a symlink by where it points).
 */
function hashContext(context: string, dockerfile: string): string {
    const ignore = readIgnoreFile([`${dockerfile}.dockerignore`, path.join(context, ".dockerignore")]);
    const acc = crypto.createHash("sha256");
    const entry = (rel: string, mode: string, content: Buffer | string) => {
        acc.update(rel);
        acc.update(mode);
        acc.update(crypto.createHash("sha256").update(content).digest());
        acc.update("\0");
    };
    entry("Dockerfile", "0", fs.readFileSync(dockerfile));
    const walk = (rel: string) => {
        for (const name of fs.readdirSync(path.join(context, rel)).sort()) {
            const child = rel ? `${rel}/${name}` : name;
            const full = path.join(context, child);
            const stat = fs.lstatSync(full);
            const excluded = isExcluded(child, ignore);
            if (stat.isDirectory()) {
                // A directory left out is skipped unless an exception could bring back something inside it.
                if (!excluded || ignore.some((p) => p.exception)) walk(child);
                continue;
            }
            if (excluded) continue;
            const mode = `${stat.mode.toString(8)}`;
            if (stat.isSymbolicLink()) entry(child, mode, path.posix.normalize(fs.readlinkSync(full)));
            else if (stat.isFile()) entry(child, mode, fs.readFileSync(full));
            else entry(child, mode, "");
        }
    };
    walk("");
    return acc.digest("hex");
}

interface IgnorePattern {
    regex: RegExp;
    exception: boolean;
}

function readIgnoreFile(candidates: string[]): IgnorePattern[] {
    const file = candidates.find((f) => fs.existsSync(f));
    if (!file) return [];
    return fs
        .readFileSync(file, "utf8")
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("#"))
        .map((line) => {
            const exception = line.startsWith("!");
            const pattern = path.posix.normalize((exception ? line.slice(1).trim() : line).replace(/^\/+/, ""));
            return { regex: patternRegex(pattern), exception };
        });
}

/** Docker's .dockerignore pattern syntax: `*` and `?` within a path segment, `**` across segments, `\` escapes. */
function patternRegex(pattern: string): RegExp {
    let re = "^";
    for (let i = 0; i < pattern.length; i++) {
        const ch = pattern[i];
        if (ch === "*" && pattern[i + 1] === "*") {
            i++;
            if (pattern[i + 1] === "/") i++;
            re += i + 1 >= pattern.length ? ".*" : "(.*/)?";
        } else if (ch === "*") re += "[^/]*";
        else if (ch === "?") re += "[^/]";
        else if (ch === "\\" && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
        else if ("$.+()|{}^".includes(ch)) re += `\\${ch}`;
        else re += ch;
    }
    return new RegExp(`${re}$`);
}

/** The last pattern that matches the path or one of its parent directories decides. */
function isExcluded(rel: string, patterns: IgnorePattern[]): boolean {
    const parts = rel.split("/");
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let excluded = false;
    for (const p of patterns) if (candidates.some((c) => p.regex.test(c))) excluded = !p.exception;
    return excluded;
}

const dockerProvider: Provider = {
    version: sdkVersion("docker"),
    async check(urn, olds, news) {
        if (resourceType(urn) !== IMAGE_TYPE) throw new Error(`unknown resource type in ${urn}`);
        return { inputs: checkImage(news) };
    },
    async diff(_id, _urn, olds, news) {
        return diffImage(olds, news);
    },
    async create(_urn, inputs) {
        return buildImage(inputs);
    },
    async update(_id, _urn, _olds, news) {
        return { outs: (await buildImage(news)).outs };
    },
    async delete() {},
};

if (require.main === module) main(dockerProvider, process.argv.slice(2));
