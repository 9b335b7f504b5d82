// The operator CLI: `tailroom start`, `tailroom --help`. Each verb lives in src/cli/.
import { main } from '../src/cli/index.js';

void main(process.argv.slice(2));
