// The README's "Try it" walkthrough, run as a reader runs it: `npm start` on a fresh copy of the repository,
// then the README's marked shell blocks pasted one after the other into one bash, in a second "terminal".
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../scripts/lib/processes";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The blocks of README.md marked `<!-- walkthrough: <name> -->`, in order. */
function walkthroughBlocks(readme: string): { name: string; script: string }[] {
  return [...readme.matchAll(/<!-- walkthrough: ([\w-]+) -->\n```sh\n([\s\S]*?)\n```/g)].map((m) => ({
    name: m[1]!,
    script: m[2]!,
  }));
}

/** The repository as a fresh clone has it (tracked and new files, none ignored), with this one's node_modules. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "readme-walkthrough-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT })
    .toString("utf8")
    .split("\0")
    .filter((file) => file !== "" && existsSync(join(ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** The environment of a reader's shell: none of the service's settings, so `npm start`'s defaults apply. */
function readerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };
  for (const name of Object.keys(env))
    if (/^(JWT_|TURSO_|WEBHOOK_|RATE_LIMIT_|DATABASE_|PORT$|HOST$|LIBSQL_)/.test(name)) delete env[name];
  return env;
}

/** A process whose output (stdout and stderr) is kept, and waited on. */
function watch(child: ChildProcess) {
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk));
  return {
    output: () => output,
    async until(what: string, test: (output: string) => boolean, seconds: number) {
      for (const giveUpAt = Date.now() + seconds * 1_000; !test(output); await sleep(100)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`exited (${child.exitCode ?? child.signalCode}) before ${what}:\n${output}`);
        if (Date.now() > giveUpAt) throw new Error(`not ${what} within ${seconds} s:\n${output}`);
      }
    },
  };
}

/** Whether any process of the group `pgid` is still there. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const copies: string[] = [];
const running: { child: ChildProcess; group: boolean }[] = [];
afterEach(async () => {
  // Last started, first stopped: the terminal (bash and the receiver it started in the background, one process
  // group), then npm start, which stops what it started.
  for (const { child, group } of running.splice(0).reverse()) {
    const pid = child.pid!;
    const alive = () => (group ? groupAlive(pid) : child.exitCode === null && child.signalCode === null);
    const signal = (name: NodeJS.Signals) => {
      try {
        if (group) process.kill(-pid, name);
        else child.kill(name);
      } catch {}
    };
    signal("SIGTERM");
    for (const giveUpAt = Date.now() + 10_000; alive() && Date.now() < giveUpAt; ) await sleep(100);
    if (alive()) signal("SIGKILL");
  }
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("README.md, Try it", () => {
  it("marks two shell blocks: register the receiver, then create, assign and convert a lead", () => {
    const blocks = walkthroughBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
    expect(blocks.map((block) => block.name)).toEqual(["register", "convert"]);
  });

  it.each([
    ["npm start", "start"],
    ["npm run start:node", "start:node"],
  ])(
    "after %s on a fresh copy, its blocks create, assign and convert a lead, and the receiver verifies lead.created, lead.assigned and lead.converted",
    async (_, script) => {
      const dir = freshCopy();
      copies.push(dir);
      const [apiPort, libsqlPort, receiverPort] = [await freePort(), await freePort(), await freePort()];
      const env = readerEnv();

      // The README's ports are npm start's default (8787) and the receiver's (9000); this run takes free ones.
      const blocks = walkthroughBlocks(readFileSync(join(dir, "README.md"), "utf8")).map(({ name, script }) => ({
        name,
        script: script.replaceAll(/\b8787\b/g, String(apiPort)).replaceAll(/\b9000\b/g, String(receiverPort)),
      }));
      const scripts = blocks.map((block) => block.script).join("\n");
      expect(scripts).toContain(`API=http://127.0.0.1:${apiPort}`);
      expect(scripts).toContain(`--port ${receiverPort}`);

      const server = spawn("npm", ["run", script], {
        cwd: dir,
        env: { ...env, PORT: String(apiPort), LIBSQL_SERVER_PORT: String(libsqlPort) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      running.push({ child: server, group: false });
      const started = watch(server);
      await started.until("started (its banner)", (output) => output.includes("Ctrl-C stops it."), 150);
      expect(started.output()).toContain("insecure webhook URLs allowed");
      expect(started.output()).toContain(
        script === "start" ? "Cloudflare Worker in workerd" : "Node entry (src/node.ts)",
      );

      // The second terminal. -e and pipefail: any command of the README that fails stops it, and the test with it.
      const shell = spawn("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", "-s"], {
        cwd: dir,
        env,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      });
      running.push({ child: shell, group: true });
      const terminal = watch(shell);
      const paste = async (name: string, check: (output: string) => boolean) => {
        const block = blocks.find((b) => b.name === name)!;
        shell.stdin!.write(`${block.script}\necho "[${name} done]"\n`);
        await terminal.until(`through the block "${name}"`, check, 60);
      };

      // A reader pastes the second block once the receiver says it listens.
      await paste("register", (out) => out.includes("[register done]") && /receiver: listening on/.test(out));
      await paste("convert", (out) => out.includes("[convert done]"));
      shell.stdin!.write('echo "[lead $LEAD]"\n');
      await terminal.until("showing $LEAD", (out) => new RegExp(`\\[lead ${UUID}\\]`).test(out), 10);
      const leadId = new RegExp(`\\[lead (${UUID})\\]`).exec(terminal.output())![1]!;

      const verified = (type: string) => new RegExp(`verified  ${type.replace(".", "\\.")} +${UUID}  lead ${leadId}\n`);
      await terminal.until(
        "verified lead.created, lead.assigned and lead.converted",
        (out) => ["lead.created", "lead.assigned", "lead.converted"].every((type) => verified(type).test(out)),
        60,
      );
      const out = terminal.output();
      expect(out).not.toContain("rejected ");
      // The assign printed the lead's new holder, and the conversion printed the new client of that lead.
      expect(out).toContain("5f8e0c1d-2b3a-4c5d-8e9f-a1b2c3d4e501\n");
      // The receiver prints while curl does: its line may follow the answer before the walkthrough's `echo`.
      const answer = out.split("\n").find((line) => line.startsWith('{"_id"'))!;
      const client = JSON.parse(answer.replace(/verified {2}lead\..*$/, ""));
      expect(client).toMatchObject({
        name: "Ana",
        nit: "901.555.222-9",
        ecosystem: "0b7c2a52-6f1e-4d7a-9a57-3f0c2d1e8a01",
      });
      expect(Object.keys(client)).toHaveLength(18);
    },
    300_000,
  );
});
