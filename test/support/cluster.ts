/**
 * A real Kubernetes control plane on loopback, built from Go modules by .ci/build-tools: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, and KWOK playing one node (pods become Ready, Job pods complete). The API
 * server judges every object, with PodSecurity admission and RBAC; the CRDs the program's objects need are applied
 * from the unchanged upstream copies in test/reference/.
 *
 * It starts only inside a network namespace whose only interface is loopback (tools/netns-run): the API server calls
 * webhooks, aggregated APIs and nodes at Service, pod and node addresses in private ranges, and there such a call
 * fails at once, inside the machine.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { REFERENCE } from "./helpers";
import { KubeApi, waitFor } from "./kubeApi";
import { TOOLS_BIN } from "./pulumi";
import { freePort } from "../../cli/moveData/scratchServer";

const CONTEXT = "actors-test";
const NODE_NAME = "kwok-node-0";
/** The annotation KWOK is told to manage nodes by; only our node carries it. */
const KWOK_ANNOTATION = { key: "kwok.x-k8s.io/node", value: "fake" };
/** A setting only: with the API server in its own network namespace no traffic can go there. */
const SERVICE_RANGE = "10.96.0.0/16";

/**
 * CRDs applied at start: the kinds the program creates itself, including those a real chart would install (the
 * stand-in charts of test/support/charts/ carry no CRDs).
 */
const CRD_FILES = [
    "cnpg-1.30.0-crds.yaml",
    "barman-cloud-plugin-v0.13.0-objectstore-crd.yaml",
    "prometheus-operator-v0.93.0-podmonitors-crd.yaml",
    "prometheus-operator-v0.93.0-prometheusrules-crd.yaml",
    "cert-manager-v1.21.1-clusterissuers-crd.yaml",
    "gateway-api-v1.0.0-gatewayclasses-crd.yaml",
    "gateway-api-v1.0.0-gateways-crd.yaml",
    "gateway-api-v1.0.0-httproutes-crd.yaml",
];

export interface ControlPlane {
    /** A kubeconfig with one context, CONTEXT, for the admin user (system:masters). */
    kubeconfig: string;
    context: string;
    /** https://127.0.0.1:<port> */
    server: string;
    /** Working folder: certificates, etcd's data, and one log file per process (<name>.log). */
    dir: string;
    api: KubeApi;
    /** Milliseconds from the start to: the API server ready; everything ready (node, controllers, CRDs). */
    timings: { apiServer: number; ready: number };
    stop(): Promise<void>;
}

/** Interfaces of this process's network namespace (/proc/net/dev is per namespace; /sys/class/net is not). */
export function networkInterfaces(): string[] {
    return fs
        .readFileSync("/proc/net/dev", "utf8")
        .split("\n")
        .slice(2)
        .map((line) => line.split(":")[0].trim())
        .filter(Boolean);
}

/** Throws unless this process is in a network namespace with nothing but loopback. */
function assertLoopbackOnly(): void {
    const others = networkInterfaces().filter((i) => i !== "lo");
    if (others.length > 0) {
        throw new Error(
            `The test control plane runs only in a network namespace whose only interface is loopback; this one also ` +
                `has ${others.join(", ")}. Run the command through tools/netns-run, e.g. ` +
                `\`tools/netns-run npx jest test/lifecycle\` (it is \`unshare -n\` with loopback up).`,
        );
    }
}

const BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kwok-stages.yaml"];

function tool(name: string): string {
    const file = path.join(TOOLS_BIN, name);
    if (!fs.existsSync(file)) {
        throw new Error(`${file} is missing: run .ci/build-tools (it builds ${BINARIES.join(", ")} once per version)`);
    }
    return file;
}

/** A minimal openssl config: no distribution defaults (such as CA:TRUE on every -x509 certificate). */
const OPENSSL_CNF = "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n";

function openssl(dir: string, args: string[]): void {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A P-256 key and a certificate signed by the CA in `dir` (or self-signed when name is "ca"). */
function certificate(dir: string, name: string, subject: string, extensions: string[]): void {
    const signer = name === "ca" ? [] : ["-CA", "ca.crt", "-CAkey", "ca.key"];
    openssl(dir, [
        "req",
        "-x509",
        "-config",
        "openssl.cnf",
        ...signer,
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.crt`,
        "-days",
        "365",
        "-subj",
        subject,
        ...extensions.flatMap((e) => ["-addext", e]),
    ]);
}

/** CA, the API server's serving certificate, the admin client certificate, and the service-account key pair. */
function makeCertificates(pki: string): void {
    fs.mkdirSync(pki, { recursive: true });
    fs.writeFileSync(path.join(pki, "openssl.cnf"), OPENSSL_CNF);
    certificate(pki, "ca", "/CN=actors-test-ca", [
        "basicConstraints=critical,CA:TRUE",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ]);
    certificate(pki, "apiserver", "/CN=kube-apiserver", [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc",
    ]);
    certificate(pki, "admin", "/O=system:masters/CN=actors-test-admin", [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=clientAuth",
    ]);
    openssl(pki, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key"]);
    openssl(pki, ["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

function kubeconfigText(server: string, pki: string): string {
    return yaml.dump({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: CONTEXT, cluster: { server, "certificate-authority": path.join(pki, "ca.crt") } }],
        users: [
            {
                name: `${CONTEXT}-admin`,
                user: {
                    "client-certificate": path.join(pki, "admin.crt"),
                    "client-key": path.join(pki, "admin.key"),
                },
            },
        ],
        contexts: [{ name: CONTEXT, context: { cluster: CONTEXT, user: `${CONTEXT}-admin` } }],
        "current-context": CONTEXT,
    });
}

/** PodSecurity's cluster defaults are Kubernetes' own (privileged); namespaces opt in by label, as the program's does. */
const ADMISSION_CONFIG = {
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "AdmissionConfiguration",
    plugins: [
        {
            name: "PodSecurity",
            configuration: {
                apiVersion: "pod-security.admission.config.k8s.io/v1",
                kind: "PodSecurityConfiguration",
                defaults: {
                    enforce: "privileged",
                    "enforce-version": "latest",
                    audit: "privileged",
                    "audit-version": "latest",
                    warn: "privileged",
                    "warn-version": "latest",
                },
                exemptions: { usernames: [], runtimeClasses: [], namespaces: [] },
            },
        },
    ],
};

interface Proc {
    name: string;
    child: ChildProcess;
    exited: Promise<number | null>;
}

function startProcess(dir: string, name: string, binary: string, args: string[]): Proc {
    const log = fs.openSync(path.join(dir, `${name}.log`), "a");
    const child = spawn(tool(binary), args, { cwd: dir, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return { name, child, exited };
}

/** Fail fast, with the tail of its log, when a process exits during start-up. */
function watchStartup(dir: string, procs: Proc[]): Promise<never> {
    return Promise.race(
        procs.map((p) =>
            p.exited.then((code) => {
                const log = fs
                    .readFileSync(path.join(dir, `${p.name}.log`), "utf8")
                    .split("\n")
                    .slice(-15)
                    .join("\n");
                throw new Error(`${p.name} exited (${code}) while the control plane started:\n${log}`);
            }),
        ),
    );
}

async function stopProcesses(procs: Proc[]): Promise<void> {
    for (const p of [...procs].reverse()) {
        if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
        p.child.kill("SIGTERM");
        const timer = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
        await p.exited;
        clearTimeout(timer);
    }
}

/** Every document of a multi-document YAML file in test/reference/. */
function referenceDocuments(file: string): any[] {
    return yaml.loadAll(fs.readFileSync(path.join(REFERENCE, file), "utf8")).filter((d: any) => d && d.kind);
}

/**
 * Starts the control plane in `dir` (created if missing) and resolves once the API server is ready, the node is Ready,
 * the controllers run (the default ServiceAccount exists) and the CRDs are established.
 */
export async function startControlPlane(dir: string): Promise<ControlPlane> {
    assertLoopbackOnly();
    const started = Date.now();
    for (const b of BINARIES) tool(b);
    fs.mkdirSync(dir, { recursive: true });
    const pki = path.join(dir, "pki");
    makeCertificates(pki);
    const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedulerPort, kwokPort] = await Promise.all(
        Array.from({ length: 6 }, freePort),
    );
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigText(server, pki));
    const admission = path.join(dir, "admission.yaml");
    fs.writeFileSync(admission, yaml.dump(ADMISSION_CONFIG));
    const pkiFile = (f: string) => path.join(pki, f);

    const procs: Proc[] = [];
    const api = new KubeApi({
        server,
        caFile: pkiFile("ca.crt"),
        certFile: pkiFile("admin.crt"),
        keyFile: pkiFile("admin.key"),
    });
    const stop = async () => {
        api.close();
        await stopProcesses(procs);
    };
    try {
        const etcdUrl = `http://127.0.0.1:${etcdPort}`;
        const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
        procs.push(
            startProcess(dir, "etcd", "etcd", [
                "--name",
                "actors-test",
                "--data-dir",
                path.join(dir, "etcd"),
                "--listen-client-urls",
                etcdUrl,
                "--advertise-client-urls",
                etcdUrl,
                "--listen-peer-urls",
                peerUrl,
                "--initial-advertise-peer-urls",
                peerUrl,
                "--initial-cluster",
                `actors-test=${peerUrl}`,
                // A throw-away store: no fsync, which is what makes etcd slow on a test machine's disk.
                "--unsafe-no-fsync",
            ]),
        );
        procs.push(
            startProcess(dir, "kube-apiserver", "kube-apiserver", [
                `--etcd-servers=${etcdUrl}`,
                "--bind-address=127.0.0.1",
                `--secure-port=${apiPort}`,
                // In a loopback-only namespace: without these it finds no address to advertise.
                "--advertise-address=127.0.0.1",
                "--endpoint-reconciler-type=none",
                `--cert-dir=${path.join(dir, "apiserver")}`,
                `--tls-cert-file=${pkiFile("apiserver.crt")}`,
                `--tls-private-key-file=${pkiFile("apiserver.key")}`,
                `--client-ca-file=${pkiFile("ca.crt")}`,
                `--service-account-key-file=${pkiFile("sa.pub")}`,
                `--service-account-signing-key-file=${pkiFile("sa.key")}`,
                "--service-account-issuer=https://kubernetes.default.svc",
                "--authorization-mode=RBAC",
                // As kubeadm, kind and managed clusters have it: privileged pods are PodSecurity's to refuse.
                "--allow-privileged=true",
                "--enable-admission-plugins=PodSecurity",
                `--admission-control-config-file=${admission}`,
                `--service-cluster-ip-range=${SERVICE_RANGE}`,
            ]),
        );
        const failed = watchStartup(dir, procs);
        failed.catch(() => undefined);
        await Promise.race([
            failed,
            waitFor(
                "the API server's /readyz",
                async () => ((await api.request("GET", "/readyz")).status === 200 ? true : undefined),
                60_000,
            ),
        ]);
        const apiServer = Date.now() - started;

        const componentAuth = [
            `--kubeconfig=${kubeconfig}`,
            `--authentication-kubeconfig=${kubeconfig}`,
            `--authorization-kubeconfig=${kubeconfig}`,
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
        ];
        procs.push(
            startProcess(dir, "kube-controller-manager", "kube-controller-manager", [
                ...componentAuth,
                `--secure-port=${kcmPort}`,
                `--service-account-private-key-file=${pkiFile("sa.key")}`,
                `--root-ca-file=${pkiFile("ca.crt")}`,
                `--cluster-signing-cert-file=${pkiFile("ca.crt")}`,
                `--cluster-signing-key-file=${pkiFile("ca.key")}`,
                `--service-cluster-ip-range=${SERVICE_RANGE}`,
                "--controllers=*",
                "--use-service-account-credentials=true",
            ]),
        );
        procs.push(
            startProcess(dir, "kube-scheduler", "kube-scheduler", [...componentAuth, `--secure-port=${schedulerPort}`]),
        );
        procs.push(
            startProcess(dir, "kwok", "kwok", [
                `--kubeconfig=${kubeconfig}`,
                `--config=${tool("kwok-stages.yaml")}`,
                // Our own stages: the load-balancer status an ingress controller or a cloud sets (the file says why).
                `--config=${path.join(__dirname, "kwok", "load-balancers.yaml")}`,
                "--manage-all-nodes=false",
                `--manage-nodes-with-annotation-selector=${KWOK_ANNOTATION.key}=${KWOK_ANNOTATION.value}`,
                `--server-address=127.0.0.1:${kwokPort}`,
                // Renew the node's Lease, so the node-lifecycle controller never marks it NotReady mid-test.
                "--node-lease-duration-seconds=40",
            ]),
        );
        const failedLater = watchStartup(dir, procs);
        failedLater.catch(() => undefined);

        await api.apply(nodeObject());
        for (const file of CRD_FILES) for (const crd of referenceDocuments(file)) await api.apply(crd);

        const ready = Promise.all([
            waitFor(
                `node ${NODE_NAME} Ready (kwok.log)`,
                async () => {
                    const node = await api.get(`/api/v1/nodes/${NODE_NAME}`);
                    const c = node?.status?.conditions?.find((x: any) => x.type === "Ready");
                    return c?.status === "True" ? true : undefined;
                },
                60_000,
            ),
            waitFor(
                "the default ServiceAccount (kube-controller-manager.log)",
                async () => ((await api.get("/api/v1/namespaces/default/serviceaccounts/default")) ? true : undefined),
                60_000,
            ),
            ...CRD_FILES.flatMap(referenceDocuments).map((crd) =>
                waitFor(
                    `CRD ${crd.metadata.name} Established`,
                    async () => {
                        const got = await api.get(
                            `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
                        );
                        const c = got?.status?.conditions?.find((x: any) => x.type === "Established");
                        return c?.status === "True" ? true : undefined;
                    },
                    60_000,
                ),
            ),
        ]);
        await Promise.race([failedLater, ready]);
        const timings = { apiServer, ready: Date.now() - started };
        return { kubeconfig, context: CONTEXT, server, dir, api, timings, stop };
    } catch (e) {
        await stop();
        throw e;
    }
}

/** One node for KWOK to play: its allocatable resources are what the scheduler fits pods into. */
function nodeObject() {
    const resources = { cpu: "32", memory: "128Gi", pods: "250" };
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name: NODE_NAME,
            annotations: { [KWOK_ANNOTATION.key]: KWOK_ANNOTATION.value },
            labels: {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                type: "kwok",
            },
        },
        status: { allocatable: resources, capacity: resources },
    };
}
