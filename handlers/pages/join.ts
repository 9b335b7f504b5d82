// CGI entry point for /join (bundled to dist/cgi/join); the page lives in src/pages/join.ts.
import { runCgi } from '../../src/pages/cgi.js';
import { joinPage } from '../../src/pages/join.js';

runCgi(joinPage);
