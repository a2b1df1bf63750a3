#!/usr/bin/env node
/**
 * A stand-in for `kubectl`, for test/moveData.test.ts and bench/moveData.ts: answers the calls `npm run move-data`
 * makes against a cluster that is not there, from a JSON state file (KUBECTL_STAND_IN_STATE):
 *   { "namespace", "context", "currentContext", "names", "secretUri", "dbPort", "replicas" }
 * where `names` is the k8s stack's tools output (components/k8s/names.ts), as the fixture writes it:
 * - config current-context                      the state's currentContext
 * - get secret <dbAppSecret> -o json              the CloudNativePG app secret, `uri` base64-encoded as Kubernetes does
 * - get deployment actors-web -o json           spec.replicas from the state
 * - scale deployment/actors-web --replicas=N    writes N back
 * - get pods -l <web selector> -o name          one pod per replica
 * - port-forward service/<dbRwService> :5432    a real TCP forward to 127.0.0.1:<dbPort>, printed as kubectl does;
 *                                               its pid appended to <state>.forwards (a test may kill it mid-copy,
 *                                               or break its tunnel with SIGUSR1 while it keeps running)
 * Every call is appended to <state>.calls (one JSON array per line). Anything else fails, as for an unknown object.
 */
const fs = require("fs");
const net = require("net");

const stateFile = process.env.KUBECTL_STAND_IN_STATE;
const state = JSON.parse(fs.readFileSync(stateFile, "utf8"));
const argv = process.argv.slice(2);
fs.appendFileSync(`${stateFile}.calls`, JSON.stringify(argv) + "\n");

function fail(message) {
    process.stderr.write(`Error from server (NotFound): ${message}\n`);
    process.exit(1);
}

let namespace = "default";
let context;
const args = [];
for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--namespace" || argv[i] === "-n") namespace = argv[++i];
    else if (argv[i] === "--context") context = argv[++i];
    else args.push(argv[i]);
}
if (args.join(" ") === "config current-context") {
    process.stdout.write(`${state.currentContext}\n`);
    process.exit(0);
}
if (context !== undefined && context !== state.context) fail(`context "${context}" does not exist`);
if (context === undefined && state.currentContext !== state.context)
    fail(`namespaces "${namespace}" not found (kubectl's current context is ${state.currentContext})`);
if (namespace !== state.namespace) fail(`namespaces "${namespace}" not found`);
const { dbAppSecret: secret, dbRwService, webDeployment: WEB_DEPLOYMENT, webPodSelector } = state.names;
const save = () => fs.writeFileSync(stateFile, JSON.stringify(state));
const cmd = args.join(" ");

if (cmd === `get secret ${secret} -o json`) {
    process.stdout.write(
        JSON.stringify({
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: secret, namespace },
            data: { uri: Buffer.from(state.secretUri).toString("base64") },
        }),
    );
} else if (cmd === `get deployment ${WEB_DEPLOYMENT} -o json`) {
    process.stdout.write(
        JSON.stringify({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: WEB_DEPLOYMENT, namespace },
            spec: { replicas: state.replicas },
            status: { replicas: state.replicas },
        }),
    );
} else if (cmd.startsWith(`scale deployment/${WEB_DEPLOYMENT} --replicas=`)) {
    state.replicas = Number(cmd.split("=")[1]);
    save();
    process.stdout.write("deployment.apps/actors-web scaled\n");
} else if (cmd === `get pods -l ${webPodSelector} -o name`) {
    for (let i = 0; i < state.replicas; i++) process.stdout.write(`pod/actors-web-5d9c7-${i}\n`);
} else if (cmd === `port-forward service/${dbRwService} :5432 --address 127.0.0.1`) {
    fs.appendFileSync(`${stateFile}.forwards`, `${process.pid}\n`);
    // kubectl outlives a parent killed with SIGKILL; the stand-in does not, so a test leaves nothing behind.
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && process.exit(0), 500).unref();
    const open = new Set();
    const server = net.createServer((client) => {
        const upstream = net.connect(state.dbPort, "127.0.0.1");
        client.pipe(upstream).pipe(client);
        const close = () => {
            client.destroy();
            upstream.destroy();
            open.delete(close);
        };
        open.add(close);
        client.on("error", close);
        upstream.on("error", close);
    });
    // SIGUSR1: the tunnel breaks but the process keeps running (a port-forward that lost its pod): every
    // connection is cut and the port stops answering.
    process.on("SIGUSR1", () => {
        server.close();
        for (const close of [...open]) close();
        setInterval(() => {}, 60000); // nothing left to wait for: this keeps the process running, as kubectl does
    });
    server.listen(0, "127.0.0.1", () => {
        const port = server.address().port;
        process.stdout.write(`Forwarding from 127.0.0.1:${port} -> 5432\n`);
    });
    process.on("SIGTERM", () => process.exit(0));
} else {
    fail(`the stand-in does not know: kubectl ${argv.join(" ")}`);
}
