import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { registryServer } from "../components/appImage";
import { contextHash } from "../components/contextHash";
import { ROOT } from "./helpers";

function copyApp(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-context-"));
    fs.cpSync(path.join(ROOT, "app"), dir, { recursive: true });
    return dir;
}

describe("content tag", () => {
    let dir: string;
    beforeEach(() => (dir = copyApp()));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is stable for the same files", () => {
        expect(contextHash(dir)).toBe(contextHash(path.join(ROOT, "app")));
        expect(contextHash(dir)).toMatch(/^[0-9a-f]{64}$/);
    });

    it("changes when any app file changes, or its executable bit", () => {
        const before = contextHash(dir);
        fs.appendFileSync(path.join(dir, "actors", "views.py"), "\n# one line\n");
        const afterEdit = contextHash(dir);
        expect(afterEdit).not.toBe(before);
        fs.chmodSync(path.join(dir, "gunicorn.conf.py"), 0o755);
        expect(contextHash(dir)).not.toBe(afterEdit);
        fs.writeFileSync(path.join(dir, "migrations", "0003_more.sql"), "SELECT 1;");
        expect(contextHash(dir)).not.toBe(afterEdit);
    });

    it("ignores what .dockerignore keeps out of the build", () => {
        const before = contextHash(dir);
        fs.mkdirSync(path.join(dir, "actors", "__pycache__"), { recursive: true });
        fs.writeFileSync(path.join(dir, "actors", "__pycache__", "views.cpython-313.pyc"), "bytecode");
        fs.writeFileSync(path.join(dir, "container_tests", "test_new.py"), "def test(): pass\n");
        fs.writeFileSync(path.join(dir, "NOTES.md"), "notes");
        expect(contextHash(dir)).toBe(before);
    });
});

describe("registryServer", () => {
    it.each([
        ["ghcr.io/acme/actors", "ghcr.io"],
        ["localhost:5001/actors", "localhost:5001"],
        ["acme/actors", "docker.io"],
        ["registry.example.com:5000/team/actors", "registry.example.com:5000"],
    ])("%s -> %s", (repo, server) => expect(registryServer(repo)).toBe(server));
});
