/**
 * Experiment ids without an experiment table: an MLflow experiment is the gateway runs' `experiment`
 * name within the caller's project, and its id is that name, base64url-encoded behind an `x`
 * (stable, reversible, valid under MLflow's `^[a-zA-Z0-9][\w\-]*$`). The gateway's `default`
 * experiment is MLflow's `Default`, id "0".
 */
export const GATEWAY_DEFAULT = 'default'

export function experimentId (gatewayName: string): string {
  return gatewayName === GATEWAY_DEFAULT ? '0' : `x${Buffer.from(gatewayName, 'utf8').toString('base64url')}`
}

/** The gateway experiment name behind an id, or undefined when the id is not one we hand out. */
export function experimentOfId (id: string): string | undefined {
  if (id === '0') return GATEWAY_DEFAULT
  if (!/^x[A-Za-z0-9_-]+$/.test(id)) return undefined
  const name = Buffer.from(id.slice(1), 'base64url').toString('utf8')
  return name !== '' && experimentId(name) === id ? name : undefined
}

export const mlflowName = (gatewayName: string): string => gatewayName === GATEWAY_DEFAULT ? 'Default' : gatewayName
export const gatewayName = (mlflow: string): string => mlflow === 'Default' ? GATEWAY_DEFAULT : mlflow
