import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEdn } from "../../shared/check/edn.js";
import {
  HistoryFormatError,
  parseJepsenHistory,
  toJepsenHistory,
} from "../../shared/check/jepsen.js";
import { checkLinearizable, kvModel } from "../../shared/check/linearizability.js";
import { runChecker } from "../../shared/check/main.js";
import { Random } from "../../shared/random.js";
import { linearizableKvHistory } from "./fixtures/histories.js";
import { suiteDir } from "./fixtures/temp.js";

describe("EDN", () => {
  it("reads the maps Jepsen writes", () => {
    expect(
      parseEdn(
        '{:process 0, :type :ok, :f :cas, :value [1 2], :key "k", :x nil, :y true, :z -3.5}',
      ),
    ).toEqual({
      process: 0,
      type: "ok",
      f: "cas",
      value: [1, 2],
      key: "k",
      x: null,
      y: true,
      z: -3.5,
    });
    expect(() => parseEdn("{:a 1")).toThrow(/end of input/);
    expect(() => parseEdn("{:a #inst}")).toThrow(/unknown token/);
  });
});

describe("Jepsen histories", () => {
  it("pair invocations with completions per process; reads take the completion's value", () => {
    const ops = parseJepsenHistory(
      [
        "{:process 0, :type :invoke, :f :write, :value 3}",
        "{:process 1, :type :invoke, :f :read, :value nil}",
        "{:process 0, :type :info, :f :write, :value 3}",
        "{:process 1, :type :ok, :f :read, :value 3}",
        "{:process 2, :type :invoke, :f :write, :value 4}",
      ].join("\n"),
    );
    expect(
      ops.map((o) => [o.process, o.f, o.input, o.output, o.outcome, o.callTime, o.returnTime]),
    ).toEqual([
      ["0", "write", 3, null, "info", 0, Number.POSITIVE_INFINITY],
      ["1", "read", null, 3, "ok", 1, 3],
      ["2", "write", 4, null, "info", 4, Number.POSITIVE_INFINITY],
    ]);
  });

  it("read Jepsen's console log lines, with or without the logger's prefix, as the same history, skipping the nemesis", () => {
    const log = [
      "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]",
      "1\t:invoke\t:read\tnil",
      "INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]",
      "1\t:ok\t:read\t1",
      "2\t:invoke\t:write\t3",
      "INFO  jepsen.util - :nemesis\t:info\t:start\tnil",
      "2\t:info\t:write\t:timed-out",
    ].join("\n");
    const edn = [
      "{:process 0, :type :invoke, :f :cas, :value [1 2]}",
      "{:process 1, :type :invoke, :f :read, :value nil}",
      "{:process 0, :type :fail, :f :cas, :value [1 2]}",
      "{:process 1, :type :ok, :f :read, :value 1}",
      "{:process 2, :type :invoke, :f :write, :value 3}",
      "{:process :nemesis, :type :info, :f :start, :value nil}",
      "{:process 2, :type :info, :f :write, :value :timed-out}",
    ].join("\n");
    expect(parseJepsenHistory(log)).toEqual(parseJepsenHistory(edn));
    expect(parseJepsenHistory(log).map((o) => [o.f, o.input, o.outcome])).toEqual([
      ["cas", [1, 2], "fail"],
      ["read", null, "ok"],
      ["write", 3, "info"],
    ]);
  });

  it("names the line of a malformed history", () => {
    const bad = (text: string) => {
      try {
        parseJepsenHistory(text);
      } catch (error) {
        return error instanceof HistoryFormatError
          ? `${error.line}: ${error.message}`
          : String(error);
      }
      return "accepted";
    };
    expect(bad("{:process 0, :type :ok, :f :read, :value 1}")).toBe(
      "1: process 0 completes an operation it never invoked",
    );
    expect(
      bad("{:process 0, :type :invoke, :f :read}\n{:process 0, :type :invoke, :f :read}"),
    ).toMatch(/^2: process 0 invokes again/);
    expect(bad("{:process 0, :type :begin, :f :read}")).toMatch(/^1: :type must be/);
    expect(bad("[1 2]")).toMatch(/^1: expected a map/);
  });

  it("round-trips our own histories, verdict included", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const history = linearizableKvHistory(new Random(seed), { ops: 300, keys: 3, clients: 4 });
      const reread = parseJepsenHistory(toJepsenHistory(history));
      expect(reread).toHaveLength(history.length);
      expect(checkLinearizable(kvModel, reread).linearizable).toBe(true);
    }
  });
});

describe("the checker's command line", () => {
  const dir = suiteDir("histories");
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const good = file(
    "good.edn",
    "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n{:process 1, :type :invoke, :f :read, :value nil}\n{:process 1, :type :ok, :f :read, :value 1}\n",
  );
  const stale = file(
    "stale.edn",
    "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n{:process 1, :type :invoke, :f :read, :value nil}\n{:process 1, :type :ok, :f :read, :value nil}\n",
  );
  const broken = file(
    "broken.edn",
    "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0 :type\n",
  );
  const run = (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runChecker(
      argv,
      (s) => void out.push(s),
      (s) => void err.push(s),
    );
    return { code, stdout: out.join(""), stderr: err.join("") };
  };

  it("prints one verdict per file and exits 0 only when all are linearizable", () => {
    expect(run(["linearizability", "--model", "register", good]).code).toBe(0);
    const both = run(["linearizability", "--model", "register", good, stale]);
    expect(both.code).toBe(1);
    expect(both.stdout).toMatch(
      /good\.edn: linearizable \(2 operations\)\n.*stale\.edn: NOT linearizable: no order explains process 1 read → nil/,
    );
  });

  it("reports a history it cannot decide within --max-steps as undecided, and exits 1", () => {
    const { code, stdout } = run([
      "linearizability",
      "--model",
      "register",
      "--max-steps",
      "1",
      good,
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe(
      `${good}: undecided (2 operations): the search used up its 1 steps without an answer\n`,
    );
  });

  it("prints JSON with --json", () => {
    const { stdout } = run(["linearizability", "--model", "register", "--json", stale]);
    expect(JSON.parse(stdout)).toMatchObject({
      linearizable: false,
      operations: 2,
      witness: { op: { process: "1" } },
    });
  });

  it("answers bad input with one line and exit 2, checking nothing", () => {
    const malformed = run(["linearizability", "--model", "register", good, broken]);
    expect(malformed.code).toBe(2);
    expect(malformed.stdout).toBe("");
    expect(malformed.stderr).toMatch(/^error: .*broken\.edn:2: /);
    expect(run(["linearizability", "--model", "queue", good]).stderr).toMatch(
      /^error: option '--model <model>' argument 'queue' is invalid/,
    );
    expect(
      run(["linearizability", "--model", "register", join(dir, "missing.edn")]).stderr,
    ).toMatch(/^error: cannot read/);
  });
});
