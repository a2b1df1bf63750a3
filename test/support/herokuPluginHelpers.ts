/**
 * The Heroku provider through Pulumi's real dynamic-provider plugin, driven by the test engine's client
 * (test/engine/dynamicPlugin.ts) with the engine's semantics: Check gets the OLD INPUTS and the new inputs; Diff,
 * Update and Delete get the OLD OUTPUTS; every property bag carries `__provider`.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { DiffAnswer, DynamicPlugin } from "./engine/dynamicPlugin";
import { Engine } from "./engine/engine";
import { buildProviderPackage } from "../../components/heroku/providerPackage";
import { copyProject, removeProject } from "./engine/fixture";
import { Props } from "./engine/values";
import { HerokuEmulator } from "./herokuEmulator";

/**
 * The serialized provider (`__provider`) the program's Heroku resources carry, made in `projectDir` by a separate
 * Node process that loads the program's code through ts-node, as Pulumi's language host does (so a by-value
 * serialization sees the same transpiled functions as in a real run).
 */
export async function serializeHerokuProvider(projectDir: string): Promise<string> {
    const script = [
        'require("ts-node").register({ transpileOnly: true });',
        // Every kind of resource, as herokuStack.ts loads them; then the text their constructors share.
        'require("./components/heroku/kinds");',
        'require("./components/heroku/resource").herokuProvider()',
        "    .then((text) => process.stdout.write(text))",
        "    .catch((err) => { console.error(err); process.exit(1); });",
    ].join("\n");
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
        cwd: projectDir,
        maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
}

/**
 * A checkout of the project (test/engine/fixture.ts) whose node_modules is a directory linking every installed
 * package except the Heroku provider package: tests build that package into it, or leave it out.
 */
export function projectWithoutProviderPackage(): string {
    const dir = copyProject();
    const shared = fs.realpathSync(path.join(dir, "node_modules"));
    fs.rmSync(path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, "node_modules"));
    for (const name of fs.readdirSync(shared))
        if (name !== "actors-heroku-provider")
            fs.symlinkSync(path.join(shared, name), path.join(dir, "node_modules", name));
    return dir;
}

const urnOf = (props: Props) => `urn:pulumi:test::actors::pulumi-nodejs:dynamic/actors:${props.kind}::${props.kind}`;

/** The plugin started in `projectDir` for an engine, configured with the API key as the stack's secret config. */
export class HerokuPlugin {
    private constructor(
        private readonly engine: Engine,
        private readonly plugin: DynamicPlugin,
    ) {}

    static async start(projectDir: string, env: NodeJS.ProcessEnv, apiKey: string): Promise<HerokuPlugin> {
        const engine = await Engine.start();
        const plugin = await DynamicPlugin.start(projectDir, engine.address, { ...process.env, ...env });
        await plugin.configure(
            "urn:pulumi:test::actors::pulumi:providers:pulumi-nodejs::default",
            {
                "actors:herokuApiKey": apiKey,
            },
            {},
        );
        return new HerokuPlugin(engine, plugin);
    }

    get stderr(): string {
        return this.plugin.stderr;
    }

    async stop(): Promise<void> {
        await this.plugin.stop();
        await this.engine.stop();
    }

    check(oldInputs: Props, news: Props) {
        return this.plugin.check(urnOf(news), oldInputs, news);
    }

    diff(id: string, oldOutputs: Props, news: Props): Promise<DiffAnswer> {
        return this.plugin.diff(urnOf(news), id, oldOutputs, news, oldOutputs);
    }

    create(inputs: Props) {
        return this.plugin.create(urnOf(inputs), inputs);
    }

    update(id: string, oldOutputs: Props, news: Props) {
        return this.plugin.update(urnOf(news), id, oldOutputs, news, oldOutputs);
    }

    delete(id: string, oldOutputs: Props) {
        return this.plugin.delete(urnOf(oldOutputs), id, oldOutputs, oldOutputs);
    }
}

/** What a plugin test works with; filled by the hooks `pluginSuite` registers. */
export interface PluginSuite {
    project: string;
    /** The `__provider` the program's resources carry in `project`. */
    provider: string;
    emulator: HerokuEmulator;
    plugin: HerokuPlugin;
    /** The properties with a serialized provider (default: `provider`). */
    withProvider(props: Props, text?: string): Props;
    /** A plugin of `project` for the emulator (the caller stops it). */
    startPlugin(): Promise<HerokuPlugin>;
}

/**
 * Registers the jest hooks of a plugin test: a checkout without the provider package (built into it first when
 * `providerPackage`), its serialized provider, and per test a Platform API emulator and a plugin for it.
 */
export function pluginSuite(opts: { providerPackage: boolean }): PluginSuite {
    const suite: PluginSuite = {
        project: "",
        provider: "",
        emulator: undefined as unknown as HerokuEmulator,
        plugin: undefined as unknown as HerokuPlugin,
        withProvider: (props: Props, text?: string) => ({ ...props, __provider: text ?? suite.provider }),
        startPlugin: () =>
            HerokuPlugin.start(
                suite.project,
                { HEROKU_API_URL: suite.emulator.url, HEROKU_API_KEY: "" },
                suite.emulator.apiKey,
            ),
    };
    beforeAll(async () => {
        suite.project = projectWithoutProviderPackage();
        if (opts.providerPackage) buildProviderPackage(suite.project);
        suite.provider = await serializeHerokuProvider(suite.project);
    });
    afterAll(() => removeProject(suite.project));
    beforeEach(async () => {
        suite.emulator = await new HerokuEmulator().start();
        suite.plugin = await suite.startPlugin();
    });
    afterEach(async () => {
        await suite.plugin.stop();
        expect(suite.emulator.invalid).toEqual([]);
        await suite.emulator.stop();
    });
    return suite;
}
