/**
 * The Heroku provider as an installed package, so Pulumi captures it by reference.
 *
 * Pulumi's closure serializer writes a module that lives inside node_modules as `require("<module>")` and serializes
 * everything else by value, parsing every function the provider closes over with TypeScript's parser (most of the
 * heroku stack's evaluation time). `npm install`/`npm ci` run this file (the `prepare` script in package.json): it
 * transpiles this directory, without herokuStack.ts (program-only), to JavaScript in
 * node_modules/actors-heroku-provider, with the hash of the sources it was built from. The program uses the package
 * only when that hash matches the sources it runs (else it warns and serializes the provider by value, which works
 * the same, only slower).
 *
 * The resources' `__provider` is then `exports.handler = () => require("actors-heroku-provider/kinds.js")` (./resource.ts),
 * the same for every version. At deploy time the dynamic-provider plugin, started in the project directory, evaluates
 * it with `require-from-string` and resolves the module from that directory's node_modules:
 * the installed package answers for every Heroku resource, including resources whose state was written by an older
 * version (their outputs must stay readable by the current providers).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export const PROVIDER_PACKAGE = "actors-heroku-provider";
/** The package's entry module: every kind of resource, and the dispatcher's functions as its exports. */
export const PROVIDER_ENTRY = "kinds.js";
const STAMP = "source.sha256";
/** Files of this directory that belong to the program only: they import outside components/heroku. */
const PROGRAM_ONLY = new Set(["herokuStack.ts"]);

/** The TypeScript files the package is built from, sorted. */
export function packageSources(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !PROGRAM_ONLY.has(f))
        .sort();
}

/** A hash of the package's sources (names and contents). */
export function sourceHash(dir: string): string {
    const hash = crypto.createHash("sha256");
    for (const file of packageSources(dir)) hash.update(`${file}\0`).update(fs.readFileSync(path.join(dir, file)));
    return hash.digest("hex");
}

/**
 * The installed package's entry module, as the plugin will require it (`actors-heroku-provider/kinds.js`), when it was
 * built from exactly the sources in `sourceDir`; else the reason it cannot be used. Resolved from the project
 * directory, as the plugin resolves it (Pulumi runs both there).
 */
export function installedProviderPackage(
    sourceDir = __dirname,
    projectDir = process.cwd(),
): { module: string } | string {
    let dir: string;
    try {
        dir = path.dirname(require.resolve(`${PROVIDER_PACKAGE}/package.json`, { paths: [projectDir] }));
    } catch {
        return `${PROVIDER_PACKAGE} is not installed (npm ci builds it): the Heroku provider is serialized by value, which is slower`;
    }
    const stamp = fs.existsSync(path.join(dir, STAMP)) ? fs.readFileSync(path.join(dir, STAMP), "utf8").trim() : "";
    if (stamp !== sourceHash(sourceDir))
        return `${PROVIDER_PACKAGE} was built from other sources than components/heroku (run npm run build:heroku-provider): the Heroku provider is serialized by value, which is slower`;
    return { module: `${PROVIDER_PACKAGE}/${PROVIDER_ENTRY}` };
}

/** Builds node_modules/actors-heroku-provider of `projectDir` from its components/heroku. */
export function buildProviderPackage(projectDir: string): string {
    const ts = require("typescript") as typeof import("typescript");
    const sourceDir = path.join(projectDir, "components", "heroku");
    const out = path.join(projectDir, "node_modules", PROVIDER_PACKAGE);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    for (const file of packageSources(sourceDir)) {
        const text = fs.readFileSync(path.join(sourceDir, file), "utf8");
        const outside = /(?:from|require\(|import\()\s*"(\.\.\/[^"]*)"/.exec(text);
        if (outside) throw new Error(`components/heroku/${file} imports ${outside[1]}, outside the provider package`);
        const js = ts.transpileModule(text, {
            fileName: file,
            compilerOptions: {
                module: ts.ModuleKind.CommonJS,
                target: ts.ScriptTarget.ES2022,
                esModuleInterop: true,
                isolatedModules: true,
            },
        }).outputText;
        fs.writeFileSync(path.join(out, file.replace(/\.ts$/, ".js")), js);
    }
    const manifest = {
        name: PROVIDER_PACKAGE,
        version: "0.0.0",
        private: true,
        description:
            "Built from components/heroku by `npm run build:heroku-provider` (npm install runs it). Do not edit.",
        main: PROVIDER_ENTRY,
    };
    fs.writeFileSync(path.join(out, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
    fs.writeFileSync(path.join(out, STAMP), sourceHash(sourceDir) + "\n");
    return out;
}

if (require.main === module) console.log(`built ${buildProviderPackage(process.cwd())}`);
