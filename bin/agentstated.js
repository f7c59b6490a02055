#!/usr/bin/env node
import { runDaemon } from "../dist/src/daemon/main.js";

process.exit(await runDaemon(process.argv.slice(2)));
