/**
 * Every setting the heroku stack reads (components/config/settings.ts), changed in turn on the deployed stack through
 * the real CLI, previewed and then applied, against the Platform API emulator. Each change starts from a fork of the
 * same deployed stack; the emulator keeps what the changes did (as Heroku would).
 */
import { SENTINEL } from "../support/helpers";
import { HerokuWorld, startHerokuWorld } from "../support/herokuWorld";
import { expectOk } from "../support/pulumi";
import { expectSettingChange, SettingChange, settingsOf } from "../support/settingChange";

let world: HerokuWorld;

beforeAll(async () => {
    world = await startHerokuWorld();
    expectOk(await world.stack.up());
});
afterAll(async () => {
    await world?.stop();
});
afterEach(() => expect(world.emulator.invalid).toEqual([])); // every request matched the Platform API schema

/** A new value for each setting the heroku stack reads. */
const CHANGES: Record<string, SettingChange> = {
    webConcurrency: { config: { "actors:webConcurrency": "4" } },
    logLevel: { config: { "actors:logLevel": "debug" } },
    appEnv: { paths: { "actors:appEnv[0]": "FEATURE_FLAGS=search" } },
    protectDatabase: { config: { "actors:protectDatabase": "false" } },
    herokuAppName: { config: { "actors:herokuAppName": "actors-renamed" } },
    herokuRegion: { config: { "actors:herokuRegion": "eu" } },
    herokuTeam: { config: { "actors:herokuTeam": "acme" } },
    herokuApiKey: {}, // the emulator accepts one key; a new key is the same account
    herokuPostgresPlan: { config: { "actors:herokuPostgresPlan": "essential-1" } },
    herokuWebQuantity: { config: { "actors:herokuWebSize": "standard-1x", "actors:herokuWebQuantity": "2" } },
    herokuWebSize: { config: { "actors:herokuWebSize": "standard-1x" } },
    herokuDomain: { config: { "actors:herokuDomain": "actors.example.com" } },
    herokuLogDrainUrl: {
        secrets: { "actors:herokuLogDrainUrl": `syslog+tls://${SENTINEL}-token@logs.example.com:6514` },
    },
    herokuPreboot: { config: { "actors:herokuWebSize": "standard-1x", "actors:herokuPreboot": "true" } },
};

it("has a change for every setting the heroku stack reads", () => {
    expect(Object.keys(CHANGES).sort()).toEqual(settingsOf("heroku").sort());
});

it.each(settingsOf("heroku"))(
    "%s: applied in place, or replacing only what the preview said, or refused naming the setting",
    async (key) => {
        const appsBefore = JSON.stringify([...world.emulator.apps.keys(), ...world.emulator.addons.keys()]);
        await expectSettingChange(world.stack, key, CHANGES[key], { plaintexts: [world.emulator.apiKey, SENTINEL] });
        // The app and its database are still there, the same ones.
        if (key !== "protectDatabase")
            expect(JSON.stringify([...world.emulator.apps.keys(), ...world.emulator.addons.keys()])).toBe(appsBefore);
    },
);
