#!/usr/bin/env node
import { runCli } from "../dist/src/client/cli/main.js";

process.exit(await runCli(process.argv.slice(2)));
