/**
 * Bad settings through the real CLI: `pulumi preview` hands the program every key of the stack file (and every
 * default of Pulumi.yaml), and fails with the program's lines, each naming its setting, with no stack trace, no
 * secret repeated and nothing planned.
 */
import { copyProject, removeProject } from "../../tools/checkout";
import { PulumiStack } from "../support/pulumi";

let dir: string;
let stack: PulumiStack;

beforeAll(async () => {
    dir = copyProject();
    stack = await PulumiStack.open(dir, "heroku", { HEROKU_API_KEY: "" });
    // Set with the CLI, as a user would: a bare key is the project's (`replicas` is `actors:replicas`).
    await stack.cli(["config", "set", "actors:herokuApiKey", "--", "abc123-plain"]);
    await stack.cli(["config", "set", "replicas", "--", "5"]);
    await stack.cli(["config", "set", "actor:namespace", "--", "web"]);
    await stack.cli(["config", "set", "herokuRegon", "--", "eu"]);
    await stack.cli(["config", "set", "herokuWebQuantity", "--", "3"]);
    await stack.cli(["config", "set", "herokuAppName", "--", "my-app-"]);
});
afterAll(() => removeProject(dir));

it("pulumi preview fails with one line per mistake, naming each setting, without a stack trace or the secret", async () => {
    const run = await stack.preview();
    expect(run.ok).toBe(false);
    const errors = run.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
    const text = errors.join("\n");
    for (const line of [
        "actors:herokuApiKey is a secret and is set in plain text: set it with `pulumi config set --secret herokuApiKey",
        'actors:replicas ("5") applies to k8s only, and this stack deploys to heroku',
        'actor:namespace ("web") is in namespace "actor", which nothing here reads: did you mean actors:namespace?',
        'actors:herokuRegon ("eu") is not a setting of this program: did you mean actors:herokuRegion?',
        'actors:herokuWebQuantity (3) must be 0 or 1 with actors:herokuWebSize "basic"',
        "actors:herokuAppName must be a Heroku app name",
    ])
        expect(text).toContain(line);
    expect(text).not.toMatch(/\n\s+at /);
    expect(run.stdout + run.stderr + text).not.toContain("abc123-plain");
    expect(run.steps.filter((s) => s.custom)).toEqual([]);
});
