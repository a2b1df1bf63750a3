import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../support/helpers";

/** A clone of this repository stands alone and runs on the Node.js it declares. */
describe("a fresh clone", () => {
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
        .split("\0")
        .filter(Boolean);

    it("has no tracked file that refers to a directory beside the repository", () => {
        const outside = /\.\.\/shared\b|\.\.\\shared\b|"\.\.", *"shared"/;
        const offenders = tracked.filter((file) => {
            const full = path.join(ROOT, file);
            if (!fs.existsSync(full) || fs.statSync(full).size > 5_000_000) return false;
            return outside.test(fs.readFileSync(full, "utf8"));
        });
        expect(offenders).toEqual([]);
    });

    it("keeps every reference schema it validates against, with its provenance", () => {
        const readme = fs.readFileSync(path.join(ROOT, "test/reference/README.md"), "utf8");
        const files = fs.readdirSync(path.join(ROOT, "test/reference")).filter((f) => f !== "README.md");
        expect(files.length).toBeGreaterThan(0);
        for (const file of files) {
            expect(tracked).toContain(`test/reference/${file}`);
            const row = readme.split("\n").find((line) => line.startsWith(`| \`${file}\``));
            expect(row).toMatch(/[0-9a-f]{40}|same commit/);
            expect(row).toMatch(/(MIT|Apache-2\.0|BSD[-\w.]*) \|$/);
        }
    });

    it("runs the tests on the Node.js major that package.json's engines asks for", () => {
        const engines = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node as string;
        const wanted = Number(/>=\s*(\d+)/.exec(engines)![1]);
        expect(wanted).toBeGreaterThanOrEqual(24);
        expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(wanted);
    });
});
