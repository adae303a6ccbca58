// better-sqlite3 is a native module built for one ABI (NODE_MODULE_VERSION: this Node's
// 115, Electron 45's 150). When its binary is missing or built for another runtime, the
// hub stops with one line naming the module, the file and the fix — not a dlopen stack.

type Versions = NodeJS.ProcessVersions & { electron?: string };

function fixFor(binding: string | undefined, versions: Versions): string {
  if (versions.electron) {
    return binding
      ? `delete ${binding} and run \`npm start\` again, which fetches better-sqlite3's build for Electron (or HERALD_HEADLESS=1 npm start)`
      : "start Herald with `npm start`, which fetches better-sqlite3's build for Electron (or HERALD_HEADLESS=1 npm start)";
  }
  return binding ? `give a build for ABI ${versions.modules}, or none to load node_modules' own` : `run \`npm rebuild better-sqlite3\` to build it for Node ${versions.node}`;
}

/** One line for an error from loading better-sqlite3's binary; null when the error is something else. */
export function sqliteLoadProblem(error: unknown, binding: string | undefined, versions: Versions = process.versions): string | null {
  if (!(error instanceof Error)) return null;
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message.replace(/\s+/g, ' ');
  const where = binding ?? 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  const runtime = versions.electron ? `Electron ${versions.electron}` : `Node ${versions.node}`;
  let what: string;
  if ((code === 'MODULE_NOT_FOUND' && binding !== undefined && message.includes(binding)) || message.includes('Could not locate the bindings file')) {
    what = `no binary at ${where}`;
  } else if (code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|did not self-register|invalid ELF header|wrong ELF class/.test(message)) {
    const built = /using NODE_MODULE_VERSION (\d+)/.exec(message)?.[1];
    what = built
      ? `${where} is built for ABI ${built}; ${runtime} needs ABI ${versions.modules}`
      : `${where} does not load in ${runtime} (ABI ${versions.modules}): ${message.split('. ')[0]}`;
  } else {
    return null;
  }
  return `better-sqlite3: ${what}: ${fixFor(binding, versions)}`;
}
