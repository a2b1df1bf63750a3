/**
 * The fixture of test/lifecycle/herokuUpgrade.test.ts: a heroku stack made by the code before the provider plugin
 * (commit 957c0e6: dynamic resources whose `__provider` requires node_modules/actors-heroku-provider), saved as
 * `pulumi stack export` writes it (secrets encrypted with the lifecycle tests' passphrase, none in plain text), with
 * the emulated Heroku it was deployed to.
 *
 * Made once, by hand, through the real CLI and the stand-in plugins (test/support/pulumi.ts), from a checkout of that
 * commit, with that commit's own emulator and docker CLI stand-in:
 *   git worktree add --detach /tmp/oldcode 957c0e6 && cd /tmp/oldcode
 *   mkdir node_modules && ln -s <this checkout>/node_modules/* node_modules/ && npm run build:heroku-provider
 *   cd <this checkout> && node -r ts-node/register/transpile-only test/support/herokuUpgradeFixture.ts /tmp/oldcode
 */
import * as fs from "fs";
import * as path from "path";
import { EmulatorWorld, HerokuEmulator } from "../../tools/herokuEmulator";
import { podmanEnv } from "./plugins/podman";
import { expectOk, PulumiStack } from "./pulumi";
import { warmImageCache } from "./registry";

export const FIXTURE_FILE = path.join(__dirname, "..", "lifecycle", "fixtures", "heroku-stack-957c0e6.json");
/** The secrets the old stack was made with (test values, not credentials), encrypted in the fixture. */
export const FIXTURE_SECRETS = {
    "actors:herokuApiKey": "emulator-key-upgrade-fixture",
    "actors:herokuLogDrainUrl": "syslog+tls://logs.example.com:6514",
};
/** The old stack's settings: every kind of Heroku resource (an app name is set, so no random suffix). */
export const FIXTURE_CONFIG = {
    "actors:herokuAppName": "actors-upgrade1",
    "actors:herokuDomain": "actors.example.com",
    "actors:herokuPreboot": "true",
    // Preboot needs a professional dyno size (the checks since 957c0e6 say so).
    "actors:herokuWebSize": "standard-1x",
};

export interface UpgradeFixture {
    /** Commit of the code that made it. */
    madeBy: string;
    /** `pulumi stack export` of the stack after its first `up`. */
    deployment: { version: number; deployment: { resources: any[] } };
    /** What the emulated Heroku held then; the log drain's URL (a secret) redacted. */
    world: EmulatorWorld;
}

export function loadUpgradeFixture(): UpgradeFixture {
    return JSON.parse(fs.readFileSync(FIXTURE_FILE, "utf8"));
}

/**
 * Deploys the old checkout against its own Platform API emulator and docker CLI stand-in (957c0e6's test support,
 * which speaks its registry login), through this checkout's real CLI and stand-in plugins.
 */
async function makeFixture(oldCheckout: string): Promise<void> {
    await warmImageCache({ context: path.join(oldCheckout, "app") });
    const { HerokuEmulator: OldEmulator } = require(path.join(oldCheckout, "test/support/herokuEmulator"));
    const { startDockerStandIn } = require(path.join(oldCheckout, "test/support/engine/fixture"));
    const emulator = await new OldEmulator().start();
    Object.assign(emulator, { apiKey: FIXTURE_SECRETS["actors:herokuApiKey"], provisioningPolls: 1 });
    const docker = await startDockerStandIn({
        expectedAuth: () => Buffer.from(`_:${emulator.apiKey}`).toString("base64"),
        onPush: (push: { target: string }, digest: string) => {
            const [, app, type] = push.target.split("/");
            emulator.pushed(app, type, digest);
        },
    });
    const { CONTAINERS_CONF, CONTAINERS_STORAGE_CONF } = podmanEnv();
    const stack = await PulumiStack.open(oldCheckout, "heroku", {
        CONTAINERS_CONF,
        CONTAINERS_STORAGE_CONF,
        HEROKU_API_URL: emulator.url,
        HEROKU_REGISTRY_URL: emulator.url,
        HEROKU_API_KEY: "",
        ...docker.env,
    });
    try {
        await stack.setConfig(FIXTURE_CONFIG);
        await stack.setConfig(FIXTURE_SECRETS, { secret: true });
        expectOk(await stack.up());
        // The same JSON as HerokuEmulator.world() of this checkout, from the old emulator's maps.
        const heroku: EmulatorWorld = HerokuEmulator.prototype.world.call(emulator);
        heroku.drains = heroku.drains.map(([app, drains]) => [app, drains.map((d) => ({ ...d, url: "[redacted]" }))]);
        const deployment = JSON.parse(await stack.exportText());
        const text = JSON.stringify({ madeBy: "957c0e6", deployment, world: heroku }, null, 2);
        for (const secret of Object.values(FIXTURE_SECRETS))
            if (text.includes(secret)) throw new Error("a secret is in plain text in the fixture");
        fs.mkdirSync(path.dirname(FIXTURE_FILE), { recursive: true });
        fs.writeFileSync(FIXTURE_FILE, text + "\n");
        console.log(`wrote ${FIXTURE_FILE}`);
    } finally {
        stack.dispose();
        await docker.stop();
        await emulator.stop();
    }
}

if (require.main === module) makeFixture(path.resolve(process.argv[2] ?? "/tmp/oldcode"));
