import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { parseCli } from "../../cli/moveData/cli";
import { checkConfig, isHerokuAppName, SettingKey, SETTINGS, settingKeys, SettingSpec } from "../../components/config";
import { CONFIG_DOC, renderConfigurationDoc, renderPulumiYaml } from "../../tools/gen-pulumi-yaml";
import { plainSecretLeaks, ROOT, runProgram, stackConfig } from "../support/helpers";

const k8s = stackConfig("k8s");
const heroku = stackConfig("heroku");
const NOW = Date.parse("2026-12-06T00:00:00Z");

/** The problems the program finds in a config (the pure check loadSettings runs). */
function problems(
    config: Record<string, string>,
    opts: { secretKeys?: string[]; env?: Record<string, string | undefined> } = {},
): string[] {
    return checkConfig({
        config,
        isSecret: (key) => (opts.secretKeys ?? []).includes(key),
        env: opts.env ?? {},
        now: NOW,
    }).problems;
}

const withKey = { env: { HEROKU_API_KEY: "from-env" } };
const quoted = (v: string) => JSON.stringify(v);

/** What `pulumi preview` hands the program: every Pulumi.yaml default, then the stack's own values. */
function withProjectDefaults(stack: Record<string, string>): Record<string, string> {
    const defaults = Object.fromEntries(
        settingKeys.map((k) => {
            const d = SETTINGS[k].default;
            return [`actors:${k}`, typeof d === "string" ? d : JSON.stringify(d)];
        }),
    );
    return { ...defaults, ...stack };
}

describe("generated from the settings table", () => {
    it("Pulumi.yaml declares exactly the table's settings, with type, description and default", () => {
        expect(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).toBe(renderPulumiYaml());
    });

    it("docs/configuration.md is the table, with each setting's platform, default and allowed values", () => {
        const doc = fs.readFileSync(CONFIG_DOC, "utf8");
        expect(doc).toBe(renderConfigurationDoc());
        for (const key of settingKeys) {
            const spec: SettingSpec = SETTINGS[key];
            const row = doc.split("\n").find((l) => l.startsWith(`| \`${key}\` |`))!;
            expect([key, row.split(" | ")[1]]).toEqual([key, spec.platform]);
            if (spec.type === "string" && spec.values) for (const v of spec.values) expect(row).toContain(`\`${v}\``);
        }
    });

    it("the README links the reference instead of holding it", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        expect(readme).toContain("(docs/configuration.md)");
        expect(readme).not.toContain("| `herokuWebSize` |");
    });

    it("each default passes its own check, and the stack files pass whole", () => {
        expect(problems(k8s)).toEqual([]);
        expect(problems(heroku, withKey)).toEqual([]);
        expect(problems(withProjectDefaults(heroku), withKey)).toEqual([]);
    });
});

describe("each problem is one line naming the setting, the value as written, and what is allowed", () => {
    it.each([
        ["actors:platform", "aws", 'one of "k8s", "heroku"'],
        ["actors:replicas", "two", "a whole number from 1 to 100"],
        ["actors:replicas", "0", "a whole number from 1 to 100"],
        ["actors:localImage", "yes", "true or false"],
        ["actors:namespace", "Actors_NS", "a DNS label"],
        ["actors:serviceType", "ExternalName", 'one of "ClusterIP", "NodePort", "LoadBalancer"'],
        ["actors:logLevel", "loud", 'one of "debug", "info", "warning", "error"'],
        ["actors:postgresVersion", "9.6", 'one of "15", "16", "17", "18"'],
        ["actors:routing", "mesh", 'one of "ingress", "gateway"'],
        ["actors:ingressHost", "not a host", "a fully qualified lowercase host name"],
        ["actors:backupDestination", "bucket", "an S3 URL such as s3://my-bucket/actors"],
        ["actors:backupSchedule", "@daily", 'a six-field cron expression such as "0 0 3 * * *"'],
        ["actors:appEnv", '["lower=1"]', 'a list of "NAME=value" strings with NAME in upper case'],
        ["actors:appEnv", '["DATABASE_URL=x"]', "a list without the names the program sets itself"],
        ["actors:appEnv", '"A=1"', "a list of strings"],
        ["actors:letsEncryptEmail", "ops", "an e-mail address"],
        ["actors:restoreTargetTime", "yesterday", "an RFC 3339 timestamp with a time zone"],
        ["actors:restoreTargetTime", "2026-02-30T10:00:00Z", "an RFC 3339 timestamp"],
        ["actors:restoreTargetTime", "2026-11-26T21:00:00", "an RFC 3339 timestamp"],
        ["actors:restoreTargetTime", "2026-11-26T24:00:00Z", "an RFC 3339 timestamp"],
        ["actors:restoreFromBackup", "Actors DB", "a DNS label"],
        ["actors:dbClusterName", "2db", "a DNS label of at most 40 characters starting with a letter"],
        ["actors:dbClusterName", "a".repeat(41), "a DNS label of at most 40 characters"],
        ["actors:installBarmanCloudPlugin", "maybe", "true or false"],
    ])("k8s %s = %j", (key, value, allowed) => {
        const found = problems({ ...k8s, [key]: value });
        expect(found).toHaveLength(1);
        expect(found[0]).toContain(`${key} must be ${allowed}`);
        expect(found[0]).toContain(`(got ${quoted(value)})`);
    });

    it.each([
        ["actors:herokuPostgresPlan", "hobby-dev", "a Heroku Postgres plan such as essential-0"],
        ["actors:herokuRegion", "mars", 'one of "us", "eu"'],
        ["actors:herokuWebSize", "huge", 'one of "eco", "basic", "standard-1x"'],
        ["actors:herokuAppName", "My App", "a Heroku app name"],
    ])("heroku %s = %j", (key, value, allowed) => {
        const found = problems({ ...heroku, [key]: value }, withKey);
        expect(found).toHaveLength(1);
        expect(found[0]).toContain(`${key} must be ${allowed}`);
        expect(found[0]).toContain(`(got ${quoted(value)})`);
    });

    it("reports every problem at once, each on one line, naming its setting", () => {
        const found = problems({
            ...k8s,
            "actors:replicas": "1e1",
            "actors:logLevel": "loud",
            "actors:imageRepository": "ghcr.io/acme//actors",
            "actors:memoryRequest": "512Mi",
            "actors:memoryLimit": "256Mi",
            "actors:cpuLimit": "lots",
            "actors:herokuRegon": "eu",
            "actor:namespace": "x",
        });
        expect(found).toHaveLength(7);
        for (const p of found) {
            expect(p).not.toContain("\n");
            expect(p).toMatch(/^actors?:\w+/);
        }
    });
});

describe("imageRepository follows the distribution reference grammar", () => {
    const bad = [
        "ghcr.io/acme//actors",
        "ghcr.io/acme/actors-",
        "ghcr.io/acme/actors/",
        "ghcr.io/acme/..",
        "ghcr.io/acme/.actors",
        "ghcr.io/acme/-actors",
        "ghcr.io/acme/actors_",
        "ghcr.io/acme/act..ors",
        "ghcr.io/acme/act___ors",
        "ghcr.io/acme/a.-b",
        "ghcr.io/Acme/actors",
        "ghcr.io/acme/actors:v1",
        "localhost:5001/actors:latest",
        `ghcr.io/acme/actors@sha256:${"a".repeat(64)}`,
        "localhost:abc/actors",
        "-ghcr.io/acme/actors",
        "ghcr.io:/acme/actors",
        "https://ghcr.io/acme/actors",
        "/acme/actors",
        " ghcr.io/acme/actors",
        "ghcr.io/acme/actors ",
        "ghcr.io/acme/my actors",
        `ghcr.io/acme/${"a".repeat(250)}`,
    ];
    it.each(bad)("refuses %j", (value) => {
        const found = problems({ ...k8s, "actors:imageRepository": value });
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(/^actors:imageRepository must be .*repository/);
        expect(found[0]).toContain(`(got ${quoted(value)})`);
    });

    it("says a tag or digest does not belong there", () => {
        expect(problems({ ...k8s, "actors:imageRepository": "ghcr.io/acme/actors:v1" })[0]).toContain(
            "a repository without a tag or digest, such as ghcr.io/acme/actors",
        );
    });

    it.each([
        "ghcr.io/acme/actors",
        "localhost:5001/actors",
        "registry.example.com:443/team/sub/actors",
        "acme/actors",
        "actors",
        "ghcr.io/acme/my_app",
        "ghcr.io/acme/my__app",
        "ghcr.io/acme/my---app",
        "ghcr.io/acme/v1.2",
        "[::1]:5000/actors",
        "Registry.Example.com/acme/actors",
        `ghcr.io/acme/${"a".repeat(200)}`,
    ])("accepts %j", (value) => {
        expect(problems({ ...k8s, "actors:imageRepository": value })).toEqual([]);
    });
});

describe("quantities follow Kubernetes' grammar; sizes are above zero; requests at most limits", () => {
    const cpuKeys = ["actors:cpuRequest", "actors:cpuLimit", "actors:dbCpu"];
    const byteKeys = ["actors:memoryRequest", "actors:memoryLimit", "actors:dbMemory", "actors:dbStorageSize"];
    const badCpu = ["lots", "1.2.3", "1 ", " 1", "0", "0m", "0.0", "-1", "+0", "m", "1 m", "1mi", "1e", "e3", "1x", ""];
    const badBytes = ["256MB", "256mb", "256m", "0Mi", "-1Gi", "1.5", "Mi", "256 Mi", "1iB", "0x100", "1Gib", "0"];

    it.each(cpuKeys.flatMap((key) => badCpu.map((v) => [key, v])))("refuses %s = %j", (key, value) => {
        const found = problems({ ...k8s, "actors:cpuRequest": "1m", "actors:cpuLimit": "64", [key]: value });
        expect(found).toEqual([expect.stringContaining(`${key} must be a Kubernetes CPU quantity greater than zero`)]);
    });

    it.each(byteKeys.flatMap((key) => badBytes.map((v) => [key, v])))("refuses %s = %j", (key, value) => {
        const found = problems({ ...k8s, "actors:memoryRequest": "1", "actors:memoryLimit": "64Ti", [key]: value });
        expect(found).toEqual([
            expect.stringContaining(`${key} must be a Kubernetes quantity of bytes greater than zero`),
        ]);
    });

    it.each(["250m", "0.5", ".5", "1.", "2", "+1", "1E0", "1e-3", "1k", "100Mi"])("accepts CPU %j", (value) => {
        expect(
            problems({ ...k8s, "actors:cpuRequest": "1m", "actors:cpuLimit": "2000", "actors:dbCpu": value }),
        ).toEqual([]);
    });

    it.each(["256Mi", "1G", "500M", "1e9", "1073741824", "0.5Gi", "1.5Ki", "129e6", "1Ti"])(
        "accepts size %j",
        (value) => {
            expect(problems({ ...k8s, "actors:dbMemory": value, "actors:dbStorageSize": value })).toEqual([]);
        },
    );

    it.each([
        ["cpu", "2", "1"],
        ["cpu", "1500m", "1"],
        ["cpu", "1.001", "1000m"],
        ["cpu", "1k", "999"],
        ["memory", "512Mi", "256Mi"],
        ["memory", "1G", "512Mi"],
        ["memory", "0.5Gi", "500M"],
        ["memory", "1025Ki", "1Mi"],
        ["memory", "1e9", "953Mi"],
    ])("refuses a %s request %j above its limit %j", (kind, request, limit) => {
        const found = problems({ ...k8s, [`actors:${kind}Request`]: request, [`actors:${kind}Limit`]: limit });
        expect(found).toEqual([
            `actors:${kind}Request (${request}) must be at most actors:${kind}Limit (${limit}): Kubernetes refuses a container whose request is above its limit`,
        ]);
    });

    it.each([
        ["cpu", "1000m", "1"],
        ["cpu", "999m", "1"],
        ["memory", "1Gi", "1024Mi"],
        ["memory", "500M", "0.5Gi"],
    ])("accepts a %s request %j at or below its limit %j", (kind, request, limit) => {
        expect(problems({ ...k8s, [`actors:${kind}Request`]: request, [`actors:${kind}Limit`]: limit })).toEqual([]);
    });
});

describe("whole numbers are digits only, within the stated range", () => {
    const integerKeys = settingKeys.filter((k) => SETTINGS[k].type === "integer");
    const notWhole = [
        "1e1",
        "0x3",
        " 3 ",
        "3 ",
        "3.0",
        "+3",
        "03",
        "-1",
        "",
        "three",
        "١",
        "10.",
        "0b11",
        "1_0",
        "Infinity",
        "2 3",
    ];

    it.each(integerKeys.flatMap((key) => notWhole.map((v) => [key, v])))("refuses %s = %j", (key, value) => {
        const spec = SETTINGS[key as SettingKey] as { platform: string; min: number; max: number };
        const base = spec.platform === "heroku" ? heroku : k8s;
        const found = problems({ ...base, [`actors:${key}`]: value }, withKey);
        expect(found).toContain(
            `actors:${key} must be a whole number from ${spec.min} to ${spec.max} (digits only) (got ${quoted(value)})`,
        );
    });

    it.each(integerKeys)("%s: refuses one past each end of its range, accepts both ends", (key) => {
        const spec = SETTINGS[key] as { platform: string; min: number; max: number };
        const base =
            spec.platform === "heroku"
                ? { ...heroku, "actors:herokuWebSize": "standard-1x" }
                : { ...k8s, "actors:replicas": "1", "actors:maxReplicas": "100" };
        const at = (n: number) => problems({ ...base, [`actors:${key}`]: String(n) }, withKey);
        expect(at(spec.min)).toEqual([]);
        expect(at(spec.max)).toEqual([]);
        if (spec.min > 0)
            expect(at(spec.min - 1)[0]).toContain(`actors:${key} must be a whole number from ${spec.min}`);
        expect(at(spec.max + 1)[0]).toContain(`actors:${key} must be a whole number from ${spec.min}`);
    });
});

describe("Kubernetes names are checked as the API server checks them", () => {
    const labels = ["actors:namespace", "actors:cnpgOperatorNamespace"];
    const subdomains = [
        "actors:ingressClassName",
        "actors:dbStorageClass",
        "actors:tlsClusterIssuer",
        "actors:gatewayClassName",
    ];
    const notNames = ["Fast SSD", "fast_ssd", "-fast", "fast-", "UPPER", "a..b", "x".repeat(254)];

    it.each([...labels, ...subdomains].flatMap((key) => notNames.map((v) => [key, v])))(
        "refuses %s = %j",
        (key, value) => {
            const found = problems({ ...k8s, "actors:ingressHost": "a.example.com", [key]: value });
            expect(found).toEqual([expect.stringContaining(`${key} must be a `)]);
        },
    );

    it.each(subdomains)("%s accepts a dotted name", (key) => {
        const found = problems({ ...k8s, "actors:ingressHost": "a.example.com", [key]: "fast.example-1.io" });
        expect(found).toEqual([]);
    });

    it.each(labels)("%s refuses a dotted name (a namespace is a DNS label)", (key) => {
        expect(problems({ ...k8s, [key]: "team.actors" })).toEqual([
            expect.stringContaining(`${key} must be a DNS label`),
        ]);
    });
});

describe("herokuAppName is the Platform API's app name, one rule with move-data's --heroku-app", () => {
    const schema = JSON.parse(
        fs.readFileSync(path.join(ROOT, "test", "reference", "heroku-platform-api.schema.json"), "utf8"),
    );
    const apiPattern = new RegExp(schema.definitions.app.definitions.name.pattern);
    const names = [
        "my-app-",
        "My-app",
        "ab",
        "1app",
        "a".repeat(31),
        "my_app",
        "-app",
        "app.",
        "abc",
        "my-app",
        "a1-b2",
    ];
    const thirty = "a" + "b".repeat(29);

    it.each([...names, thirty])("%j: the program, move-data and the Platform API schema agree", (name) => {
        const accepted = apiPattern.test(name);
        expect(isHerokuAppName(name)).toBe(accepted);
        const found = problems({ ...heroku, "actors:herokuAppName": name }, withKey);
        expect(found.length === 0).toBe(accepted);
        if (!accepted) expect(found[0]).toContain(`actors:herokuAppName must be a Heroku app name`);
        const cli = () => parseCli(["--from", "k8s", "--to", "heroku", "--heroku-app", name]);
        if (accepted) expect(cli).not.toThrow();
        else expect(cli).toThrow("--heroku-app");
    });
});

describe("Heroku's dyno rules, citing Heroku's documentation", () => {
    it.each(["eco", "basic"])("refuses preboot on %s dynos", (size) => {
        const found = problems({ ...heroku, "actors:herokuWebSize": size, "actors:herokuPreboot": "true" }, withKey);
        expect(found).toEqual([expect.stringContaining("actors:herokuPreboot (true) needs a standard or performance")]);
        expect(found[0]).toContain("https://devcenter.heroku.com/articles/preboot");
    });

    it.each(["eco", "basic"].flatMap((size) => ["2", "3", "100"].map((n) => [size, n])))(
        "refuses herokuWebQuantity above 1 on %s dynos (%s)",
        (size, n) => {
            const found = problems({ ...heroku, "actors:herokuWebSize": size, "actors:herokuWebQuantity": n }, withKey);
            expect(found).toEqual([
                expect.stringContaining(
                    `actors:herokuWebQuantity (${n}) must be 0 or 1 with actors:herokuWebSize "${size}"`,
                ),
            ]);
            expect(found[0]).toContain("https://devcenter.heroku.com/articles/dyno-types");
        },
    );

    it.each<Record<string, string>>([
        { "actors:herokuWebSize": "standard-1x", "actors:herokuPreboot": "true", "actors:herokuWebQuantity": "4" },
        { "actors:herokuWebSize": "performance-m", "actors:herokuPreboot": "true" },
        { "actors:herokuWebSize": "basic", "actors:herokuWebQuantity": "1" },
        { "actors:herokuWebSize": "eco", "actors:herokuWebQuantity": "0" },
    ])("accepts %j", (override) => {
        expect(problems({ ...heroku, ...override }, withKey)).toEqual([]);
    });
});

describe("a setting of the other platform is refused, naming the platform it belongs to", () => {
    /** A valid value other than the default. */
    const otherValue = (spec: SettingSpec): string => {
        switch (spec.type) {
            case "integer":
                return String(spec.default === spec.max ? spec.min : spec.default + 1);
            case "boolean":
                return String(!spec.default);
            case "array":
                return '["FEATURE=1"]';
            case "string":
                return spec.values ? spec.values.find((v) => v !== spec.default)! : "other-value";
        }
    };
    const cases = settingKeys
        .filter((k) => SETTINGS[k].platform !== "both")
        .map((k) => [k, SETTINGS[k].platform] as const);

    it.each(cases)("%s (%s only)", (key, platform) => {
        const spec: SettingSpec = SETTINGS[key];
        const [stack, other] = platform === "k8s" ? [heroku, "heroku"] : [k8s, "k8s"];
        const value = otherValue(spec);
        const secretKeys = spec.secret ? [`actors:${key}`] : [];
        for (const config of [stack, withProjectDefaults(stack)]) {
            const found = problems({ ...config, [`actors:${key}`]: value }, { secretKeys, ...withKey });
            expect(found).toHaveLength(1);
            expect(found[0]).toContain(`actors:${key}`);
            expect(found[0]).toContain(`applies to ${platform} only, and this stack deploys to ${other}`);
            if (spec.secret) expect(found[0]).not.toContain(value);
            else expect(found[0]).toContain(quoted(value));
        }
    });

    it("a Pulumi.yaml default of the other platform's settings, as preview passes it, is not a mistake", () => {
        expect(problems(withProjectDefaults(heroku), withKey)).toEqual([]);
        expect(problems(withProjectDefaults(k8s))).toEqual([]);
    });
});

describe("keys outside the settings are refused, with the closest setting for a near miss", () => {
    it.each([
        ["actors:herokuRegon", "actors:herokuRegion"],
        ["actors:replica", "actors:replicas"],
        ["actors:Replicas", "actors:replicas"],
        ["actors:imageRepo", undefined],
        ["actors:namepsace", "actors:namespace"],
        ["actors:imageTag", undefined],
        ["actor:replicas", "actors:replicas"],
        ["actros:namespace", "actors:namespace"],
        ["app:logLevel", "actors:logLevel"],
        ["replicas", "actors:replicas"],
        ["herokuRegon", "actors:herokuRegion"],
        ["kubernets:context", "kubernetes:context"],
        ["aws:region", undefined],
        ["heroku:apiKey", undefined],
    ])("%s (did you mean %s?)", (key, suggestion) => {
        const found = problems({ ...k8s, [key]: "3" });
        expect(found).toHaveLength(1);
        expect(found[0].startsWith(`${key} `)).toBe(true);
        if (suggestion) expect(found[0]).toContain(`did you mean ${suggestion}?`);
        else expect(found[0]).not.toContain("did you mean");
    });

    it("repeats the value of a stray key, unless it is or looks like a secret", () => {
        expect(problems({ ...k8s, "actors:herokuRegon": "eu" })[0]).toMatch(/^actors:herokuRegon \("eu"\) is not/);
        for (const key of ["actors:herokuApiKy", "actors:imageRegistryPasword", "aws:secretKey", "app:token"])
            expect(problems({ ...k8s, [key]: "hunter2" })[0]).not.toContain("hunter2");
        const marked = problems({ ...k8s, "actors:whatever": "hunter2" }, { secretKeys: ["actors:whatever"] });
        expect(marked[0]).not.toContain("hunter2");
    });

    it.each(["kubernetes:context", "docker:host", "random:x", "pulumi:tags"])("leaves %s to its provider", (key) => {
        expect(problems({ ...k8s, [key]: "x" })).toEqual([]);
    });
});

describe("secrets are refused in plain text, and never repeated", () => {
    const secretKeys = settingKeys.filter((k) => (SETTINGS[k] as SettingSpec).secret);

    it("the table marks the known secrets", () => {
        expect(secretKeys).toEqual(
            expect.arrayContaining(["herokuApiKey", "imageRegistryPassword", "backupSecretAccessKey"]),
        );
    });

    it.each(secretKeys)("%s in plain text", (key) => {
        const base = SETTINGS[key].platform === "heroku" ? heroku : k8s;
        const found = problems({ ...base, [`actors:${key}`]: "hunter2-plain" }, withKey);
        expect(found).toContainEqual(expect.stringContaining(`actors:${key} is a secret and is set in plain text`));
        expect(found.join("\n")).toContain(`pulumi config set --secret ${key}`);
        expect(found.join("\n")).not.toContain("hunter2");
    });
});

describe("rules across settings", () => {
    it.each([
        [{ "actors:imageRepository": "" }, "actors:imageRepository is required on k8s"],
        [{ "actors:maxReplicas": "1" }, "actors:maxReplicas (1) must be at least actors:replicas (2)"],
        [{ "actors:tlsClusterIssuer": "letsencrypt" }, "actors:tlsClusterIssuer needs actors:ingressHost"],
        [
            { "actors:backupDestination": "s3://bucket/x" },
            "actors:backupDestination needs actors:backupAccessKeyId and actors:backupSecretAccessKey",
        ],
        [{ "actors:routing": "gateway" }, "actors:routing gateway needs actors:ingressHost"],
        [
            { "actors:restoreTargetTime": "2026-11-26T21:00:00Z" },
            "actors:restoreTargetTime needs actors:restoreFromBackup (the backups to recover from)",
        ],
        [
            { "actors:restoreFromBackup": "actors-db", "actors:dbClusterName": "actors-db-2" },
            "actors:restoreFromBackup needs actors:backupDestination (and its keys)",
        ],
    ])("k8s %j", (override, message) => {
        expect(problems({ ...k8s, ...override })).toEqual([expect.stringContaining(message)]);
    });

    it("a restore is into a new cluster, and to a time already past", () => {
        const restore = {
            ...k8s,
            "actors:backupDestination": "s3://bucket/x",
            "actors:backupAccessKeyId": "id",
            "actors:backupSecretAccessKey": "key",
            "actors:restoreFromBackup": "actors-db",
        };
        const secretKeys = ["actors:backupAccessKeyId", "actors:backupSecretAccessKey"];
        expect(problems(restore, { secretKeys })[0]).toContain(
            "actors:restoreFromBackup (actors-db) must differ from actors:dbClusterName: CloudNativePG restores only into a new cluster",
        );
        const later = {
            ...restore,
            "actors:dbClusterName": "actors-db-2",
            "actors:restoreTargetTime": "2027-01-01T00:00:00Z",
        };
        expect(problems(later, { secretKeys })).toEqual([expect.stringContaining("must be in the past")]);
    });

    it("the heroku API key comes from the stack's secret or HEROKU_API_KEY", () => {
        expect(problems(heroku)).toEqual([expect.stringContaining("actors:herokuApiKey is required on heroku")]);
        expect(problems(heroku, withKey)).toEqual([]);
        expect(problems({ ...heroku, "actors:herokuApiKey": "k" }, { secretKeys: ["actors:herokuApiKey"] })).toEqual(
            [],
        );
    });

    it("a cross rule is skipped when a setting it reads is itself wrong (one problem, not two)", () => {
        expect(problems({ ...k8s, "actors:replicas": "1e1", "actors:maxReplicas": "1" })).toHaveLength(1);
    });
});

describe("through the program", () => {
    it("loadSettings fails the run with a RunError (printed without a stack trace) listing every problem", async () => {
        let error: any;
        try {
            await runProgram(
                { ...heroku, "actors:replicas": "5", "actors:herokuApiKey": "hunter2-key", "actors:herokuRegon": "eu" },
                { env: { HEROKU_API_KEY: undefined } },
            );
        } catch (err) {
            error = err;
        }
        expect(pulumi.RunError.isInstance(error)).toBe(true);
        expect(error.message.split("\n")[0]).toBe("invalid configuration:");
        expect(error.problems).toHaveLength(3);
        expect(error.message).not.toContain("hunter2");
    });

    it("the settings it hands the components are typed by the table, secrets wrapped", async () => {
        const run = await runProgram(
            { ...heroku, "actors:herokuApiKey": "k-secret" },
            { secretKeys: ["actors:herokuApiKey"], env: { HEROKU_API_KEY: undefined } },
        );
        expect(run.resources.length).toBeGreaterThan(0);
        // The Heroku provider is configured with it, as a secret; nothing has it in plain text.
        expect(run.resources.flatMap((r) => plainSecretLeaks(r.inputs, ["k-secret"], r.type))).toEqual([]);
    });
});
