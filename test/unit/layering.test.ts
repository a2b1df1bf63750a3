import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../support/helpers";

/** Relative imports (static, dynamic and require) of every TypeScript file under a directory, resolved to files. */
function importGraph(dir: string): Map<string, string[]> {
    const graph = new Map<string, string[]>();
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const full = path.join(d, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (entry.name.endsWith(".ts")) {
                const text = fs.readFileSync(full, "utf8");
                const specs = [...text.matchAll(/(?:from|require\(|import\()\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
                graph.set(
                    path.relative(ROOT, full),
                    specs.map((spec) => path.relative(ROOT, path.resolve(path.dirname(full), spec)) + ".ts"),
                );
            }
        }
    };
    walk(path.join(ROOT, dir));
    return graph;
}

describe("layering", () => {
    const graph = importGraph("components");

    it("components/ never imports from policy/ or test/ (the policy pack imports components, not the reverse)", () => {
        const wrong = [...graph].flatMap(([file, deps]) =>
            deps.filter((d) => !d.startsWith("components/")).map((d) => `${file} -> ${d}`),
        );
        expect(wrong).toEqual([]);
    });

    it("product code (cli/, and the tools it runs: checkout, pulumi) never imports from test/", () => {
        const product = [...importGraph("cli"), ...importGraph("tools")].filter(
            ([file]) => file.startsWith("cli/") || ["tools/checkout.ts", "tools/pulumi.ts"].includes(file),
        );
        expect(product.length).toBeGreaterThan(2);
        const wrong = product.flatMap(([file, deps]) =>
            deps.filter((d) => d.startsWith("test/")).map((d) => `${file} -> ${d}`),
        );
        expect(wrong).toEqual([]);
    });

    it("bench/ never imports from test/, directly or through what it imports (tools/, cli/, components/)", () => {
        const all = new Map(["bench", "tools", "cli", "components"].flatMap((dir) => [...importGraph(dir)]));
        const reached = new Map<string, string[]>(); // file -> the import chain from a benchmark
        const visit = (file: string, chain: string[]) => {
            if (reached.has(file)) return;
            reached.set(file, chain);
            for (const dep of all.get(file) ?? []) visit(dep, [...chain, file]);
        };
        for (const file of all.keys()) if (file.startsWith("bench/")) visit(file, []);
        expect(reached.has("tools/moveDataWorld.ts")).toBe(true);
        const wrong = [...reached]
            .filter(([file]) => file.startsWith("test/"))
            .map(([file, chain]) => [...chain, file].join(" -> "));
        expect(wrong).toEqual([]);
    });

    it("has no import cycle among components/", () => {
        const cycles: string[] = [];
        const state = new Map<string, "open" | "done">();
        const visit = (file: string, trail: string[]) => {
            if (state.get(file) === "done") return;
            if (state.get(file) === "open") {
                cycles.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
                return;
            }
            state.set(file, "open");
            for (const dep of graph.get(file) ?? []) visit(dep, [...trail, file]);
            state.set(file, "done");
        };
        for (const file of graph.keys()) visit(file, []);
        expect(cycles).toEqual([]);
    });
});
