/**
 * The world the heroku stack is deployed into by the lifecycle tests, through the real Pulumi CLI: the Platform API
 * emulator (Heroku itself cannot be reached), a real registry on loopback standing for registry.heroku.com (user `_`,
 * the emulator's API key as the password, as Heroku's), podman as the release's `docker` client, and a checkout of
 * the project with its own stack, file backend and secrets.
 */
import * as fs from "fs";
import { copyProject, removeProject } from "../../tools/checkout";
import { HerokuEmulator } from "./herokuEmulator";
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

export async function startHerokuWorld(opts: { config?: Record<string, string> } = {}): Promise<HerokuWorld> {
    const emulator = await new HerokuEmulator().start();
    emulator.provisioningPolls = 1;
    const registry = await startRegistry({ auth: { username: "_", password: emulator.apiKey } });
    const dir = copyProject();
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
            removeProject(dir);
            await registry.stop();
            await emulator.stop();
        },
    };
}
