/** The program's check of actors:kubeContext against the kubeconfig, before the Kubernetes provider is asked. */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { checkKubeTarget, kubeconfigFiles, kubeTarget, readKubeconfig } from "../../components/k8s/kubeconfig";

let dir: string;
let listener: net.Server;
let openPort: number;
const file = (name: string, doc: object) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, JSON.stringify(doc)); // JSON is YAML
    return f;
};
const config = (current: string, contexts: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "Config",
    "current-context": current,
    clusters: Object.entries(contexts).map(([name, server]) => ({ name: `${name}-cluster`, cluster: { server } })),
    contexts: Object.keys(contexts).map((name) => ({ name, context: { cluster: `${name}-cluster`, user: "u" } })),
    users: [{ name: "u", user: {} }],
});

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
    listener = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    openPort = (listener.address() as net.AddressInfo).port;
});
afterAll(() => {
    listener.close();
    fs.rmSync(dir, { recursive: true, force: true });
});

it("merges KUBECONFIG's files as client-go does: the first to name a context or current-context wins", () => {
    const a = file("a", config("alpha", { alpha: "https://127.0.0.1:1111" }));
    const b = file("b", config("beta", { beta: "https://127.0.0.1:2222", alpha: "https://127.0.0.1:9999" }));
    const files = kubeconfigFiles({ KUBECONFIG: [a, path.join(dir, "missing"), b].join(path.delimiter) });
    expect(files).toEqual([a, b]);
    const view = readKubeconfig(files);
    expect(kubeTarget("", view)).toEqual({ context: "alpha", server: "https://127.0.0.1:1111" });
    expect(kubeTarget("beta", view)).toEqual({ context: "beta", server: "https://127.0.0.1:2222" });
});

it("names the setting, the value and the contexts there are when the context is not in the kubeconfig", () => {
    const f = file("one", config("alpha", { alpha: "https://127.0.0.1:1111", beta: "https://127.0.0.1:2222" }));
    expect(kubeTarget("production", readKubeconfig([f]))).toBe(
        `actors:kubeContext is "production", which is not a context in the kubeconfig (${f}): set it to one of "alpha", "beta", or leave it empty for the current context`,
    );
    expect(kubeTarget("", readKubeconfig([file("none", config("", { alpha: "https://x:1" }))]))).toMatch(
        /^actors:kubeContext is empty and the kubeconfig \(.*\) has no current context: set it to one of "alpha"$/,
    );
    expect(kubeTarget("", readKubeconfig([]))).toMatch(/^actors:kubeContext is empty and there is no kubeconfig/);
});

it("fails with one line naming the setting when the context's API server does not answer, and passes when it does", () => {
    const f = file("reach", config("up", { up: `https://127.0.0.1:${openPort}`, down: "https://127.0.0.1:1" }));
    expect(() => checkKubeTarget("", { KUBECONFIG: f })).not.toThrow();
    expect(() => checkKubeTarget("down", { KUBECONFIG: f })).toThrow(
        /^actors:kubeContext "down": its API server https:\/\/127\.0\.0\.1:1 is unreachable \(ECONNREFUSED\): start the cluster, or set actors:kubeContext to a reachable one$/,
    );
});
