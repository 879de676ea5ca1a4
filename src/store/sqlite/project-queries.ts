import type { ApiKey } from '../store.js'
import type { Stmt } from './statement-cache.js'
import { toApiKey, type ApiKeyRow } from './rows.js'

/** A project's keys and per-sink targets (the targets hold secrets: the API never returns them). */
export function listApiKeys (stmt: Stmt, projectId: string): Array<ApiKey & { createdAt: number }> {
  const rows = stmt('SELECT id, project_id, role, created_at FROM api_keys WHERE project_id = ? ORDER BY created_at, id').all(projectId) as Array<ApiKeyRow & { created_at: number }>
  return rows.map(r => ({ ...toApiKey(r), createdAt: r.created_at }))
}

export function revokeApiKey (stmt: Stmt, projectId: string, keyId: string): boolean {
  return stmt('DELETE FROM api_keys WHERE project_id = ? AND id = ?').run(projectId, keyId).changes > 0
}

export function getSinkTarget (stmt: Stmt, projectId: string, sink: string): Record<string, unknown> | undefined {
  const r = stmt('SELECT config FROM sink_targets WHERE project_id = ? AND sink = ?').get(projectId, sink) as { config: string } | undefined
  return r === undefined ? undefined : JSON.parse(r.config) as Record<string, unknown>
}

export function putSinkTarget (stmt: Stmt, projectId: string, sink: string, config: Record<string, unknown>, now: number): void {
  stmt(`INSERT INTO sink_targets (project_id, sink, config, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (project_id, sink) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`).run(projectId, sink, JSON.stringify(config), now)
}

export function deleteSinkTarget (stmt: Stmt, projectId: string, sink: string): boolean {
  return stmt('DELETE FROM sink_targets WHERE project_id = ? AND sink = ?').run(projectId, sink).changes > 0
}

export function listSinkTargets (stmt: Stmt, projectId: string): Array<{ sink: string, config: Record<string, unknown>, updatedAt: number }> {
  const rows = stmt('SELECT sink, config, updated_at FROM sink_targets WHERE project_id = ? ORDER BY sink').all(projectId) as Array<{ sink: string, config: string, updated_at: number }>
  return rows.map(r => ({ sink: r.sink, config: JSON.parse(r.config) as Record<string, unknown>, updatedAt: r.updated_at }))
}

export function listAllSinkTargets (stmt: Stmt): Array<{ projectId: string, sink: string, config: Record<string, unknown>, updatedAt: number }> {
  const rows = stmt('SELECT project_id, sink, config, updated_at FROM sink_targets ORDER BY project_id, sink').all() as Array<{ project_id: string, sink: string, config: string, updated_at: number }>
  return rows.map(r => ({ projectId: r.project_id, sink: r.sink, config: JSON.parse(r.config) as Record<string, unknown>, updatedAt: r.updated_at }))
}
