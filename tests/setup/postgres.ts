/**
 * Vitest's global set-up: a PostgreSQL server for the tests that compare the simulated store with
 * a real one (tests/distributed-transactions/postgres.test.ts and scenarios.test.ts). When the PG
 * environment variables do not name a server already, `.ci/run --postgres-only` starts the local
 * cluster (installing PostgreSQL with apt if it is absent), creates the role and database `ddia`,
 * and prints the variables, which are set here for every test worker. So `npm test` on a fresh
 * machine of this project's image needs no step of its own. `DDIA_SKIP_POSTGRES=1` skips all this
 * (and those tests); if the set-up fails, the tests that need the server fail saying how to start one.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export default function setup(): void {
  if (process.env.DDIA_SKIP_POSTGRES === "1" || process.env.PGHOST !== undefined) return;
  const script = join(import.meta.dirname, "..", "..", ".ci", "run");
  // stdin is not a terminal here, so .ci/run's sudo fails at once rather than wait for a password.
  const result = spawnSync("bash", [script, "--postgres-only"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const line = (result.stdout ?? "").split("\n").find((l) => l.startsWith("export "));
  if (result.status !== 0 || line === undefined) {
    const why = result.error?.message ?? (result.stderr ?? "").trim().split("\n").at(-1) ?? "";
    process.stderr.write(
      `tests/setup/postgres.ts: could not start PostgreSQL with .ci/run --postgres-only (exit ${result.status}): ${why}\n` +
        "  The PostgreSQL tests will fail. Start a server and set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE, or set DDIA_SKIP_POSTGRES=1 to skip them.\n",
    );
    return;
  }
  for (const pair of line.slice("export ".length).split(" ")) {
    const at = pair.indexOf("=");
    if (at > 0) process.env[pair.slice(0, at)] = pair.slice(at + 1);
  }
}
