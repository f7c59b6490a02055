import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { describeBackend } from "../conformance/index.js";
import { postgres } from "../helpers/postgres.js";

// A throwaway PostgreSQL per test process (test/helpers/postgres.ts); one schema per test.
describeBackend("postgres", async (ctx) => new PostgresBackend({ ...ctx, url: (await postgres()).url, schema: ctx.isolationKey }), { durable: true, shared: true });
