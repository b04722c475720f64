/** HTTP: the operator's endpoints, `/metrics` for Prometheus and `/healthz` for orchestrators. */
export { HttpServer, type HttpPorts, type HttpOptions } from './server.js';
