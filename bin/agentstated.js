#!/usr/bin/env -S node --max-semi-space-size=4
// The flag caps V8's young generation (see src/config/node-flags.ts, which lists it for autostart).
let daemon;
try {
  daemon = await import("../dist/src/daemon/main.js");
} catch (err) {
  // The daemon's packages are optional dependencies (README "Installing"): a client-only install
  // (npm install --omit=optional) has no daemon. Say so instead of printing a module-resolution stack.
  const pkg = err?.code === "ERR_MODULE_NOT_FOUND" ? /Cannot find (?:package|module) '([^']+)'/.exec(String(err.message))?.[1] : undefined;
  if (pkg === undefined) throw err;
  const built = pkg.includes("/dist/");
  process.stderr.write(
    built
      ? "agentstated: dist/ is missing: build first (npm run build), or install the package from npm or git, which builds it\n"
      : `agentstated: the daemon needs ${pkg}, which is not installed; this looks like a client-only install (--omit=optional). ` +
          "Install the daemon's packages: npm install --include=optional agentstate\n",
  );
  process.exit(1);
}
process.exit(await daemon.runDaemon(process.argv.slice(2)));
