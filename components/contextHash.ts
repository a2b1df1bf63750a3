import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** What else than the context's files goes into an image build. */
export interface BuildInputs {
    /** The Dockerfile, relative to the context (default Dockerfile). */
    dockerfile?: string;
    /** Build arguments (--build-arg). */
    args?: Record<string, string>;
    /** Target platform, such as linux/amd64. */
    platform?: string;
}

/**
 * A hash of everything an image build reads: every file of the context the build can see (after .dockerignore), with
 * its path, executable bit and content; the Dockerfile and .dockerignore themselves (Docker always reads them, even
 * when .dockerignore keeps them out of COPY); the build arguments; the platform. Any change to one of them changes
 * it; nothing else does (not the checkout's location either).
 */
export function contextHash(dir: string, build: BuildInputs = {}): string {
    const ignore = readIgnore(path.join(dir, ".dockerignore"));
    const hash = crypto.createHash("sha256");
    const dockerfile = build.dockerfile ?? "Dockerfile";
    const always = [dockerfile, ".dockerignore"].filter((f) => fs.existsSync(path.join(dir, f)));
    const files = [...new Set([...always, ...listFiles(dir, "", ignore)])];
    hash.update(`dockerfile\0${dockerfile}\0platform\0${build.platform ?? ""}\0`);
    for (const [name, value] of Object.entries(build.args ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)))
        hash.update(`arg\0${name}\0${value}\0`);
    for (const rel of files) {
        const full = path.join(dir, rel);
        const executable = (fs.statSync(full).mode & 0o111) !== 0;
        hash.update(`${rel}\0${executable ? "x" : "-"}\0`);
        hash.update(fs.readFileSync(full));
        hash.update("\0");
    }
    return hash.digest("hex");
}

function listFiles(root: string, rel: string, ignore: RegExp[]): string[] {
    const out: string[] = [];
    const entries = fs
        .readdirSync(path.join(root, rel), { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (ignore.some((re) => re.test(child))) continue;
        if (entry.isDirectory()) out.push(...listFiles(root, child, ignore));
        else if (entry.isFile()) out.push(child);
    }
    return out;
}

/** .dockerignore patterns (`*`, `**`, `?`; `!` exceptions are not used here and are rejected). */
function readIgnore(file: string): RegExp[] {
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("#"))
        .map((pattern) => {
            if (pattern.startsWith("!")) throw new Error(`${file}: exception patterns (${pattern}) are not supported`);
            const body = pattern
                .replace(/^\/+|\/+$/g, "")
                .split("/")
                .map((part) =>
                    part === "**"
                        ? "(?:.*)"
                        : part
                              .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                              .replace(/\*/g, "[^/]*")
                              .replace(/\?/g, "[^/]"),
                )
                .join("/")
                .replace(/\(\?:\.\*\)\//g, "(?:.*/)?");
            return new RegExp(`^${body}(?:/.*)?$`);
        });
}
