/** Entry of the connection broker's bundle (dist/bin/broker.cjs): `node broker.cjs SOCKET_PATH`. */
import { runBroker } from './broker.js';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: broker.cjs SOCKET_PATH\n');
  process.exit(2);
}
runBroker(path);
