// CGI entry point for /rooms (bundled to dist/cgi/rooms); the page lives in src/pages/rooms.ts.
import { runCgi } from '../../src/pages/cgi.js';
import { roomsPage } from '../../src/pages/rooms.js';

runCgi(roomsPage);
