/**
 * The world the heroku stack is deployed into by the lifecycle tests, through the real Pulumi CLI: the Platform API
 * emulator (Heroku itself cannot be reached), a real registry on loopback standing for registry.heroku.com (user `_`,
 * the emulator's API key as the password, as Heroku's), podman as the release's `docker` client, and a checkout of
 * the project with its own stack, file backend and secrets.
 */
import * as fs from "fs";
import { copyProject, removeProject } from "../../tools/checkout";
import { EmulatorWorld, HerokuEmulator } from "../../tools/herokuEmulator";
import { SENTINEL } from "./helpers";
import { podmanEnv } from "./plugins/podman";
import { PulumiStack } from "./pulumi";
import { Registry, startRegistry } from "./registry";

export interface HerokuWorld {
    emulator: HerokuEmulator;
    registry: Registry;
    stack: PulumiStack;
    /** Every write the Heroku API received since request number `since` (registry reads excluded). */
    writes(since?: number): string[];
    stop(): Promise<void>;
}

/** Which podman the release runs as its docker client (a real client; the pushes land in the real registry). */
const PODMAN = ["/usr/bin/podman", "/usr/local/bin/podman"].find((p) => fs.existsSync(p)) ?? "podman";

/**
 * `dir`: the checkout to deploy (default: a copy of this one, removed at stop); `apiKey` and `heroku`: the key the
 * emulator accepts and what it holds at the start (an upgrade test's fixture).
 */
export async function startHerokuWorld(
    opts: { config?: Record<string, string>; dir?: string; apiKey?: string; heroku?: EmulatorWorld } = {},
): Promise<HerokuWorld> {
    const emulator = await new HerokuEmulator({ apiKey: opts.apiKey }).start();
    emulator.provisioningPolls = 1;
    if (opts.heroku) emulator.restore(opts.heroku);
    const registry = await startRegistry({ auth: { username: "_", password: emulator.apiKey } });
    const dir = opts.dir ?? copyProject();
    // podman's settings only: the stack's PATH (the stand-in plugins) stays.
    const { CONTAINERS_CONF, CONTAINERS_STORAGE_CONF } = podmanEnv();
    const stack = await PulumiStack.open(dir, "heroku", {
        CONTAINERS_CONF,
        CONTAINERS_STORAGE_CONF,
        ...registry.env,
        HEROKU_API_URL: emulator.url,
        HEROKU_REGISTRY_URL: `http://${registry.host}`,
        HEROKU_API_KEY: "",
        DOCKER_CLI: PODMAN,
        // The random stand-in writes this into every generated password, so a test can look for it in plain text.
        ACTORS_RANDOM_SENTINEL: SENTINEL,
    });
    await stack.setConfig({ "actors:herokuApiKey": emulator.apiKey }, { secret: true });
    if (opts.config) await stack.setConfig(opts.config);
    return {
        emulator,
        registry,
        stack,
        writes: (since = 0) =>
            emulator.requests
                .slice(since)
                .filter((r) => r.method !== "GET" && !r.path.startsWith("/v2/"))
                .map((r) => `${r.method} ${r.path}`),
        stop: async () => {
            stack.dispose();
            if (!opts.dir) removeProject(dir);
            await registry.stop();
            await emulator.stop();
        },
    };
}
