// CGI entry point for /chat (bundled to dist/cgi/chat); the page lives in src/pages/chat.ts.
import { runCgi } from '../../src/pages/cgi.js';
import { chatPage } from '../../src/pages/chat.js';

runCgi(chatPage);
