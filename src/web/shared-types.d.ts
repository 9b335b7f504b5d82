// src/protocol.ts is shared with the server, which stamps event ids with process.pid.
// The browser imports only its types (esbuild drops type imports), so none of that code
// reaches the bundle; this declaration lets tsc check the file without Node's types.
declare var process: { readonly pid: number };
