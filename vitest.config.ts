import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // A PostgreSQL server for the tests that compare the simulated store with a real one.
    globalSetup: ["tests/setup/postgres.ts"],
  },
});
