import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * A hash of a Docker build context: every file the build can see (after .dockerignore), with its path, executable
 * bit and content. Any change to an app file changes it; nothing outside the context does.
 */
export function contextHash(dir: string): string {
    const ignore = readIgnore(path.join(dir, ".dockerignore"));
    const hash = crypto.createHash("sha256");
    for (const rel of listFiles(dir, "", ignore)) {
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
