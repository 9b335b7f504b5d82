// CGI entry point for /history (bundled to dist/cgi/history); the page lives in src/pages/history.ts.
import { runCgi } from '../../src/pages/cgi.js';
import { historyPage } from '../../src/pages/history.js';

runCgi(historyPage);
