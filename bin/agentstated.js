#!/usr/bin/env -S node --max-semi-space-size=1
// The flag caps V8's young generation (see src/config/node-flags.ts, which lists it for autostart).
import { runDaemon } from "../dist/src/daemon/main.js";

process.exit(await runDaemon(process.argv.slice(2)));
