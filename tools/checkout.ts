/**
 * A copy of the project's working tree in a temporary folder, sharing node_modules (a symlink): what `pulumi up`
 * needs of the project (the program, its components, the app as the image's context, the settings). Tests and
 * benchmarks run Pulumi in such a copy, so the checkout itself (its stack files included) is never modified.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..");
const PROJECT_FILES = ["index.ts", "components", "provider", "app", "Pulumi.yaml", "package.json", "tsconfig.json"];

/** A copy of `from` (this checkout by default, or another copy: its stack files and edits come along). */
export function copyProject(from = ROOT): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-checkout-"));
    const stackFiles = fs.readdirSync(from).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
    for (const entry of [...PROJECT_FILES, ...stackFiles])
        if (fs.existsSync(path.join(from, entry)))
            fs.cpSync(path.join(from, entry), path.join(dir, entry), {
                recursive: true,
                filter: (src) => !/(__pycache__|\.pytest_cache)$/.test(src),
            });
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(dir, "node_modules"));
    return dir;
}

/** Removes a copy made by copyProject (only ever a folder under the system's temporary folder). */
export function removeProject(dir: string): void {
    if (path.resolve(dir).startsWith(os.tmpdir() + path.sep)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Appends a line to a file of a copy. */
export function touch(dir: string, file: string, line: string): void {
    fs.appendFileSync(path.join(dir, file), `${line}\n`);
}
