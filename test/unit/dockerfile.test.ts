import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../support/helpers";

const dockerfile = path.join(ROOT, "app", "Dockerfile");
const text = fs.readFileSync(dockerfile, "utf8");
const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);

describe("app/Dockerfile", () => {
    it("has no dockerfile-utils findings", () => {
        expect(execFileSync(bin("dockerfile-utils"), ["lint", dockerfile], { encoding: "utf8" }).trim()).toBe("");
    });

    it("has no dockerfilelint findings (exceptions justified in app/.dockerfilelintrc)", () => {
        const out = execFileSync(bin("dockerfilelint"), ["-o", "json", "Dockerfile"], {
            cwd: path.join(ROOT, "app"),
            encoding: "utf8",
        });
        expect(JSON.parse(out).files[0].issues).toEqual([]);
    });

    it("builds on debian:trixie-slim unless BASE_IMAGE says otherwise", () => {
        expect(text).toMatch(/^ARG BASE_IMAGE=debian:trixie-slim$/m);
        expect(text).toMatch(/^FROM \$\{BASE_IMAGE\} AS base$/m);
    });

    it("installs without recommends, cleans apt lists, runs as a fixed numeric UID, copies the code last", () => {
        const base = text.slice(text.indexOf("AS base"), text.indexOf("\nFROM base AS test"));
        expect(base).toContain("apt-get install -y --no-install-recommends");
        expect(base).toContain("rm -rf /var/lib/apt/lists/*");
        const app = text.slice(text.indexOf("\nFROM base AS app"));
        expect(app).toMatch(/^USER 10001:10001$/m);
        const instructions = app
            .split("\n")
            .filter((l) => /^[A-Z]+ /.test(l))
            .map((l) => l.split(" ")[0]);
        // After the code is copied only metadata and byte-compiling follow: a code change rebuilds one small layer.
        expect(instructions.slice(instructions.indexOf("COPY"))).toEqual([
            "COPY",
            "RUN",
            "USER",
            "EXPOSE",
            "STOPSIGNAL",
            "HEALTHCHECK",
            "CMD",
        ]);
        // The shipped image is the last stage: a plain build gives it.
        expect(
            text
                .split("\n")
                .filter((l) => l.startsWith("FROM "))
                .pop(),
        ).toBe("FROM base AS app");
    });

    it("installs the test stage's packages before its code (a code change rebuilds no package layer, offline too)", () => {
        const test = text.slice(text.indexOf("\nFROM base AS test"), text.indexOf("\nFROM base AS app"));
        expect(test.indexOf("apt-get install")).toBeGreaterThan(0);
        expect(test.indexOf("apt-get install")).toBeLessThan(test.indexOf("COPY . /app"));
    });
});
