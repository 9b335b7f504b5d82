// CGI entry point for /settings (bundled to dist/cgi/settings); the page lives in src/pages/settings.ts.
import { runCgi } from '../../src/pages/cgi.js';
import { settingsPage } from '../../src/pages/settings.js';

runCgi(settingsPage);
