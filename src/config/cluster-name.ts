/** Replaces every character Envoy cluster names should not carry with "_". */
function sanitise(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** The Envoy cluster of one model endpoint: `<model>__<endpoint>`, each part sanitised. */
export function clusterName(modelName: string, endpointName: string): string {
  return `${sanitise(modelName)}__${sanitise(endpointName)}`;
}
