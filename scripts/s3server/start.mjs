// Starts fauxqs (a real S3-compatible server) for tests, bound to 127.0.0.1 only.
// fauxqs hard-codes host 0.0.0.0; rather than edit node_modules we rewrite that one address at
// net.Server.listen, before fauxqs is loaded. Port and storage come from FAUXQS_PORT / FAUXQS_S3_STORAGE_DIR.
import net from "node:net";
import { writeFileSync } from "node:fs";

if (process.env.S3SERVER_PID_FILE) writeFileSync(process.env.S3SERVER_PID_FILE, String(process.pid));

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args[0] && typeof args[0] === "object" && args[0].host === "0.0.0.0") args[0] = { ...args[0], host: "127.0.0.1" };
  return listen.apply(this, args);
};

const { startFauxqs } = await import("fauxqs");
await startFauxqs({ logger: false });
