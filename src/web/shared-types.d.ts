// src/protocol.ts is shared with the server, which stamps event ids with process.pid.
// The browser imports its types and ROOM_EVENT_TYPES; esbuild leaves the rest out (and
// the pid is only read inside newEventId, made on first use, never by the browser);
// this declaration lets tsc check the file without Node's types.
declare var process: { readonly pid: number };
